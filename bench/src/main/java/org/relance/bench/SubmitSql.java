package org.relance.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The SQL the cart service issues for one group-commit batch of new-cart submits (no visitor or
 * contact, so no suppression or visitor lookups), as a pgbench script. The statement texts are
 * copied from cart-service (SubmitWriter, CartLocks, CartRows, CartEventLog) with their array
 * parameters replaced by array expressions of {@code perTransaction} elements built from
 * pgbench variables, so each transaction writes new carts and submits:
 * {@code :run} (set with -D, one per pgbench run), {@code :n} (a per-client counter, -D n=0) and
 * {@code :client_id}.
 */
final class SubmitSql {
    /** CartLocks.lockAll. */
    static final String LOCKS = "SELECT count(pg_advisory_xact_lock(k)) AS n FROM unnest($1::bigint[]) WITH ORDINALITY AS t(k, o)";

    /** SubmitWriter: submits already applied. */
    static final String SUBMIT_LOOKUP = "SELECT s.store_id, s.submit_id, encode(s.fingerprint, 'hex') AS fp, s.cart_ids, "
            + "s.apply_time FROM cart_submit s WHERE (s.store_id, s.submit_id) IN "
            + "(SELECT * FROM unnest($1::text[], $2::text[]))";

    /** SubmitWriter: the stores' currencies. */
    static final String STORE_LOOKUP = "SELECT store_id, currency_code FROM store WHERE store_id = ANY($1::text[])";

    /** CartRows.COLUMNS. */
    static final String COLUMNS = "store_id, cart_id, site_id, visitor_id, contact_id, state, status, total_price, "
            + "currency_code, items::text AS items, episode, recovered, outcome, transaction_id, create_time, update_time, "
            + "abandon_time, convert_time";

    /** CartRows.lockAll. */
    static final String CART_LOOKUP = "SELECT " + COLUMNS + " FROM cart WHERE (store_id, cart_id) IN "
            + "(SELECT * FROM unnest($1::text[], $2::text[])) FOR UPDATE";

    /** CartRows.UPSERT. */
    static final String UPSERT = """
            INSERT INTO cart (store_id, cart_id, site_id, visitor_id, contact_id, state, status, total_price, currency_code,
                              items, episode, recovered, outcome, transaction_id, create_time, update_time, abandon_time, convert_time)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::text[],
                                 $8::numeric[], $9::text[], $10::jsonb[], $11::integer[], $12::boolean[], $13::smallint[],
                                 $14::text[], $15::timestamptz[], $16::timestamptz[], $17::timestamptz[], $18::timestamptz[])
            ON CONFLICT (store_id, cart_id) DO UPDATE SET
                site_id = EXCLUDED.site_id, visitor_id = EXCLUDED.visitor_id, contact_id = EXCLUDED.contact_id,
                state = EXCLUDED.state, status = EXCLUDED.status, total_price = EXCLUDED.total_price,
                currency_code = EXCLUDED.currency_code, items = EXCLUDED.items, episode = EXCLUDED.episode,
                recovered = EXCLUDED.recovered, outcome = EXCLUDED.outcome, transaction_id = EXCLUDED.transaction_id,
                create_time = EXCLUDED.create_time, update_time = EXCLUDED.update_time,
                abandon_time = EXCLUDED.abandon_time, convert_time = EXCLUDED.convert_time
            """;

    /** SubmitWriter.insertSubmits. */
    static final String SUBMIT_INSERT = "INSERT INTO cart_submit (store_id, submit_id, fingerprint, cart_ids, apply_time) "
            + "SELECT s, i, decode(f, 'hex'), c::text[], t FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
            + "$5::timestamptz[]) AS x(s, i, f, c, t)";

    /** service-kit EventLog's append for the cart service's log (table cart_event, key cart_id, payload cart). */
    static final String APPEND = """
            WITH counter AS (
                UPDATE event_counter SET value = value + $1 WHERE name = 'cart_event' RETURNING value - $1 AS base
            ), inserted AS (
                INSERT INTO cart_event (sequence, event_type, occur_time, store_id, cart_id, cart)
                SELECT counter.base + e.ord, e.event_type, e.occur_time, e.store_id, e.k, e.payload
                FROM counter, unnest($2::smallint[], $3::timestamptz[], $4::text[], $5::text[], $6::jsonb[])
                     WITH ORDINALITY AS e(event_type, occur_time, store_id, k, payload, ord)
                RETURNING sequence
            )
            SELECT max(sequence) AS last FROM inserted, pg_notify('cart_event', '')
            """;

    /** The statements of one batch, in order (BEGIN and COMMIT around them). */
    static final java.util.List<String> BATCH = java.util.List.of(LOCKS, SUBMIT_LOOKUP, STORE_LOOKUP, CART_LOOKUP, UPSERT,
            SUBMIT_INSERT, APPEND);

    /** The items column of the benchmark's cart, as CartJson writes it. */
    static final String ITEMS_JSON = "[{\"product_id\":\"p-1\",\"product_name\":\"Blue mug\",\"category\":\"Kitchen\","
            + "\"category_id\":\"k1\",\"unit_price\":19.99,\"quantity\":2},{\"product_id\":\"p-2\","
            + "\"product_name\":\"Green tea, 100 g\",\"category\":\"Grocery\",\"category_id\":\"g7\",\"unit_price\":19.99,"
            + "\"quantity\":1}]";

    /** The CREATED event's snapshot of that cart, as CartJson.snapshot writes it. */
    static final String SNAPSHOT_JSON = "{\"store_id\":\"bench\",\"cart_id\":\"pgb-c1000000000000\",\"site_id\":null,"
            + "\"visitor_id\":null,\"contact_id\":null,\"state\":1,\"status\":null,\"total_price\":59.97,"
            + "\"currency_code\":\"EUR\",\"items\":" + ITEMS_JSON + ",\"episode\":0,\"recovered\":false,\"outcome\":null,"
            + "\"transaction_id\":null,\"create_time\":\"2026-01-01T00:00:00.123456Z\","
            + "\"update_time\":\"2026-01-01T00:00:00.123456Z\",\"abandon_time\":null,\"convert_time\":null}";

    /** A SHA-256 in hex, as the service stores a submit's fingerprint. */
    static final String FINGERPRINT_HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private SubmitSql() {
    }

    /**
     * A JSON text pgbench leaves alone: pgbench takes {@code :name} for a variable (":null",
     * ":false"), so a space follows each colon (jsonb stores the same value).
     */
    static String pgbenchSafe(String json) {
        return json.replace("\":", "\": ");
    }

    /** Replaces $1..$n in {@code sql} by {@code args} (highest first, so that $1 does not eat $10). */
    static String bind(String sql, String... args) {
        String out = sql;
        for (int i = args.length; i >= 1; i--) {
            out = out.replace("$" + i, args[i - 1]);
        }
        return out;
    }

    /**
     * The pgbench script of one transaction of {@code perTransaction} submits to store {@code storeId}.
     * Like the service, every array but the lock keys is a text array that the statement's own
     * casts parse element by element (jsonb, numeric, timestamptz...).
     */
    static String script(String storeId, int perTransaction) {
        int n = perTransaction;
        String series = " FROM generate_series(0, " + (n - 1) + ") g)";
        String base = "(:base::bigint + g)";
        String stores = texts("'" + storeId + "'::text", series);
        String submitIds = texts("'pgb-s' || " + base, series);
        String cartIds = texts("'pgb-c' || " + base, series);
        String lockKeys = "ARRAY(SELECT k FROM (SELECT " + base + " * 2 AS k" + series.substring(0, series.length() - 1)
                + " UNION ALL SELECT " + base + " * 2 + 1" + series.substring(0, series.length() - 1) + ") x ORDER BY k)";
        String now = texts("now()::text", series);
        String nulls = texts("NULL::text", series);
        List<String> lines = new ArrayList<>();
        lines.add("-- " + n + " new-cart submit(s) per transaction: the statements of one cart-service submit batch");
        lines.add("\\set n :n + 1");
        lines.add("\\set base :run * 1000000000000 + :client_id * 1000000000 + :n * " + n);
        lines.add("BEGIN;");
        lines.add(bind(LOCKS, lockKeys) + ";");
        lines.add(bind(SUBMIT_LOOKUP, stores, submitIds) + ";");
        lines.add(bind(STORE_LOOKUP, "ARRAY['" + storeId + "']") + ";");
        lines.add(bind(CART_LOOKUP, stores, cartIds) + ";");
        lines.add(bind(UPSERT, stores, cartIds, nulls, nulls, nulls, texts("'1'::text", series), nulls,
                texts("'59.97'::text", series), texts("'EUR'::text", series),
                texts("'" + pgbenchSafe(ITEMS_JSON) + "'::text", series), texts("'0'::text", series),
                texts("'false'::text", series), nulls, nulls, now, now, nulls, nulls).strip() + ";");
        lines.add(bind(SUBMIT_INSERT, stores, submitIds, texts("'" + FINGERPRINT_HEX + "'::text", series),
                texts("'{\"pgb-c' || " + base + " || '\"}'", series), now) + ";");
        lines.add(bind(APPEND, n + "::bigint", texts("'1'::text", series), now, stores, cartIds,
                texts("'" + pgbenchSafe(SNAPSHOT_JSON) + "'::text", series)).strip() + ";");
        lines.add("END;");
        return String.join("\n", lines) + "\n";
    }

    private static String texts(String element, String series) {
        return "ARRAY(SELECT " + element + series;
    }

    /**
     * A statement's shape for comparing with pg_stat_statements: literals and parameters become
     * {@code ?}, blanks collapse. pg_stat_statements shows constants as parameters, so the shape of
     * a statement in the service's source and of what PostgreSQL recorded are equal.
     */
    static String shape(String sql) {
        return sql.replaceAll("'(?:[^']|'')*'", "?")
                .replaceAll("\\$\\d+", "?")
                .replaceAll("\\b\\d+\\b", "?")
                .replaceAll("\\s+", " ")
                .replaceAll(" ?([(),]) ?", "$1")
                .trim()
                .toLowerCase(java.util.Locale.ROOT);
    }
}
