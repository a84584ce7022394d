package org.relance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

/**
 * The synthetic data of the {@code segments} scenario, at a scale the tracker path could not load
 * in the time of a benchmark. The carts and purchases are generated once, with SQL, into the
 * baseline database: the cart service's tables (its migrations, in schema {@code cart}) and the
 * transaction service's (schema {@code tx}), plus a {@code contact} list, as a CRM would hold it.
 * The segment service's database then gets the same rows, copied across with COPY in the shape
 * its migration defines ({@code contact}, {@code cart_fact} and {@code purchase_fact} mirror what
 * the event streams would have carried), and {@code contact_fact} computed from them by one
 * set-based statement that follows FactsStore.REFRESH (same "last abandoned cart" order, the same
 * lower-cased names, recovered and purchase counts per store and for all stores). The answers of
 * both sides must be equal; a difference is a bug in the service or in this file, and fails the run.
 */
final class SegmentData {
    static final String BASELINE_DB = "segment_baseline";
    static final String SEGMENT_DB = "relance_segment";
    static final List<String> STORES = List.of("shop-fr", "shop-de", "shop-uk");

    private SegmentData() {
    }

    /**
     * The carts and purchases. Per contact: 30% no cart, 35% one, 20% two, 10% three, 5% four to
     * six; 15% more carts are anonymous (a visitor only). Stores 60/25/15% (the third in GBP).
     * States: 12% active (changed in the last hour), 43% abandoned, 20% converted after having
     * been abandoned (recovered), 25% converted directly. 1 to 5 lines from a 2,000-product
     * catalogue (names like "Premium HDMI Cable Black", skewed towards the first products, distinct
     * within a cart), quantity 1 to 3, 3% of the carts without a TotalPrice, the seed's statuses
     * (1% upper-cased, to check that status ignores case). Abandonment times are on 15 s steps, as
     * a sweeper round marks every due cart with the same time. A purchase for every converted cart,
     * and 0 to 3 purchases without a cart for 35% of the contacts, over the last 400 days.
     * {t0} is the run's "now", {n} the number of contacts.
     */
    private static final String GENERATE = """
            SET work_mem = '256MB';
            SET maintenance_work_mem = '512MB';
            SELECT setseed(0.4242);
            INSERT INTO cart.store (store_id, display_name, currency_code, time_zone, abandonment_delay_seconds, cart_retention_seconds,
                                    create_time, update_time)
            VALUES ('shop-fr', 'Boutique', 'EUR', 'Europe/Paris', 3600, 1296000, TIMESTAMPTZ '{t0}' - interval '2 years', TIMESTAMPTZ '{t0}' - interval '2 years'),
                   ('shop-de', 'Laden', 'EUR', 'Europe/Berlin', 3600, 1296000, TIMESTAMPTZ '{t0}' - interval '2 years', TIMESTAMPTZ '{t0}' - interval '2 years'),
                   ('shop-uk', 'Shop', 'GBP', 'Europe/London', 3600, 1296000, TIMESTAMPTZ '{t0}' - interval '2 years', TIMESTAMPTZ '{t0}' - interval '2 years');
            CREATE TABLE contact (contact_id text PRIMARY KEY);
            INSERT INTO contact SELECT 'c' || lpad(g::text, 7, '0') FROM generate_series(1, {n}) g;
            CREATE TEMP TABLE catalogue AS
            SELECT p, 'sku-' || lpad(p::text, 4, '0') AS product_id,
                   (ARRAY['Premium','Basic','Pro','Mini','Ultra','Classic','Smart','Eco','Deluxe','Travel'])[1 + (p / 200) % 10] || ' '
                     || (ARRAY['HDMI Cable','USB-C Charger','Wireless Mouse','Keyboard','Laptop Stand','Monitor','Webcam','Headphones',
                               'Phone Case','Screen Protector','Power Bank','SD Card','Router','Smart Bulb','Desk Lamp','Coffee Mug',
                               'T-Shirt','Sneakers','Backpack','Water Bottle'])[1 + p % 20] || ' '
                     || (ARRAY['Black','White','Red','Blue','Green','Grey','Silver','Gold','Pink','Orange'])[1 + (p / 20) % 10] AS product_name,
                   (ARRAY['Cables','Chargers','Mice','Keyboards','Stands','Monitors','Webcams','Audio','Cases','Protection','Power',
                          'Storage','Network','Lighting','Lighting','Kitchen','Clothing','Shoes','Bags','Outdoor'])[1 + p % 20] AS category,
                   'cat-' || (p % 20) AS category_id,
                   round((5 + random() * 195)::numeric, 2) AS unit_price
            FROM generate_series(0, 1999) p;
            ALTER TABLE catalogue ADD PRIMARY KEY (p);
            CREATE TEMP TABLE gen AS
            SELECT row_number() OVER () AS n, x.contact_id,
                   random() AS r_store, random() AS r_state, random() AS r_status, random() AS r_lines, random() AS r_prod,
                   random() AS r_time, random() AS r_total, random() AS r_after
            FROM (SELECT contact_id, CASE WHEN r < 0.30 THEN 0 WHEN r < 0.65 THEN 1 WHEN r < 0.85 THEN 2 WHEN r < 0.95 THEN 3
                                         ELSE 4 + floor((r - 0.95) * 60)::int END AS k
                  FROM (SELECT contact_id, random() AS r FROM contact) c
                  UNION ALL
                  SELECT NULL, 1 FROM generate_series(1, {n} * 15 / 100)) x,
                 generate_series(1, x.k) i;
            CREATE TEMP TABLE shaped AS
            SELECT g.n, g.contact_id, s.store_id, s.currency_code,
                   CASE WHEN g.r_state < 0.12 THEN 1 WHEN g.r_state < 0.55 THEN 2 ELSE 3 END AS state,
                   g.r_state >= 0.55 AND g.r_state < 0.75 AS recovered,
                   CASE WHEN g.r_status < 0.35 THEN NULL WHEN g.r_status < 0.55 THEN 'Cart' WHEN g.r_status < 0.74 THEN 'ValidateShippingStep'
                        WHEN g.r_status < 0.75 THEN 'VALIDATESHIPPINGSTEP' WHEN g.r_status < 0.9 THEN 'Payment' ELSE 'ShippingStep' END AS status,
                   CASE WHEN g.r_lines < 0.30 THEN 1 WHEN g.r_lines < 0.60 THEN 2 WHEN g.r_lines < 0.80 THEN 3 WHEN g.r_lines < 0.92 THEN 4
                        ELSE 5 END AS lines,
                   floor(2000 * g.r_prod * g.r_prod)::int AS base,
                   CASE WHEN g.r_state < 0.12 THEN TIMESTAMPTZ '{t0}' - g.r_time * interval '50 minutes'
                        ELSE TIMESTAMPTZ '{t0}' - interval '4 hours' - g.r_time * interval '365 days' END AS update_time,
                   g.r_total < 0.03 AS no_total, g.r_after
            FROM gen g
            JOIN (VALUES ('shop-fr', 'EUR', 0.0, 0.60), ('shop-de', 'EUR', 0.60, 0.85), ('shop-uk', 'GBP', 0.85, 1.01))
                 s(store_id, currency_code, lo, hi) ON g.r_store >= s.lo AND g.r_store < s.hi;
            INSERT INTO cart.cart (store_id, cart_id, site_id, visitor_id, contact_id, state, status, total_price, currency_code, items, episode,
                                   recovered, outcome, transaction_id, create_time, update_time, abandon_time, convert_time)
            SELECT s.store_id, 'k' || s.n, s.store_id || '-web', 'v' || coalesce(s.contact_id, 'anon' || s.n), s.contact_id, s.state, s.status,
                   CASE WHEN s.no_total THEN NULL ELSE it.total END, s.currency_code, it.items,
                   CASE WHEN s.state = 2 OR s.recovered THEN 1 ELSE 0 END, s.recovered,
                   CASE WHEN s.state = 3 THEN CASE WHEN s.recovered THEN 2 ELSE 1 END END,
                   CASE WHEN s.state = 3 THEN 't-k' || s.n END,
                   s.update_time - s.r_after * interval '2 hours', s.update_time, a.abandon_time,
                   CASE WHEN s.state = 3 THEN least(TIMESTAMPTZ '{t0}', coalesce(a.abandon_time + s.r_after * interval '3 days',
                                                                          s.update_time + s.r_after * interval '30 minutes')) END
            FROM shaped s
            CROSS JOIN LATERAL (
                SELECT CASE WHEN s.state = 2 OR s.recovered
                            THEN date_bin('15 seconds', s.update_time + interval '1 hour 15 seconds', TIMESTAMPTZ '2000-01-01 00:00:00+00')
                       END AS abandon_time) a
            CROSS JOIN LATERAL (
                SELECT jsonb_agg(jsonb_build_object('product_id', c.product_id, 'product_name', c.product_name, 'category', c.category,
                                                    'category_id', c.category_id, 'unit_price', c.unit_price, 'quantity', q.qty)
                                 ORDER BY q.j) AS items,
                       sum(c.unit_price * q.qty) AS total
                FROM (SELECT j, 1 + (s.n + j) % 3 AS qty FROM generate_series(0, s.lines - 1) j) q
                JOIN catalogue c ON c.p = (s.base + q.j * 97) % 2000) it;
            INSERT INTO tx.shop_transaction (store_id, transaction_id, cart_id, site_id, contact_id, visitor_id, affiliation, currency_code,
                                             revenue, tax, shipping, occur_time, record_time, cart_conversion, fingerprint)
            SELECT store_id, transaction_id, cart_id, site_id, contact_id, visitor_id, NULL, currency_code, coalesce(total_price, 0), 0, 0,
                   convert_time, convert_time, CASE WHEN recovered THEN 4 ELSE 3 END, decode('00', 'hex')
            FROM cart.cart WHERE state = 3;
            INSERT INTO tx.shop_transaction (store_id, transaction_id, cart_id, site_id, contact_id, visitor_id, affiliation, currency_code,
                                             revenue, tax, shipping, occur_time, record_time, cart_conversion, fingerprint)
            SELECT s.store_id, 'd' || p.contact_id || '-' || p.i, NULL, s.store_id || '-web', p.contact_id, 'v' || p.contact_id, NULL,
                   s.currency_code, round((10 + p.r2 * 290)::numeric, 2), 0, 0, p.t, p.t, 1, decode('00', 'hex')
            FROM (SELECT c.contact_id, i, random() AS r1, random() AS r2,
                         TIMESTAMPTZ '{t0}' - interval '1 hour' - random() * interval '400 days' AS t
                  FROM (SELECT contact_id, random() AS r FROM contact) c,
                       generate_series(1, CASE WHEN c.r < 0.65 THEN 0 WHEN c.r < 0.85 THEN 1 WHEN c.r < 0.95 THEN 2 ELSE 3 END) i) p
            JOIN (VALUES ('shop-fr', 'EUR', 0.0, 0.60), ('shop-de', 'EUR', 0.60, 0.85), ('shop-uk', 'GBP', 0.85, 1.01))
                 s(store_id, currency_code, lo, hi) ON p.r1 >= s.lo AND p.r1 < s.hi;
            INSERT INTO tx.shop_transaction_item (store_id, transaction_id, line, product_id, product_name, category, category_id, unit_price,
                                                  total_price, quantity)
            SELECT t.store_id, t.transaction_id, 1, c.product_id, c.product_name, c.category, c.category_id, c.unit_price, c.unit_price, 1
            FROM tx.shop_transaction t JOIN catalogue c ON c.p = abs(hashtext(t.transaction_id)) % 2000;
            """;

    /** Target of COPY FROM STDIN in the segment database, and the SELECT of the baseline database that feeds it. */
    private static final List<String[]> COPIES = List.of(
            new String[] {"contact (contact_id, email, email_key, first_name, last_name, consent_state, consent_source, consent_time, "
                    + "create_time, update_time)",
                    "SELECT contact_id, contact_id || '@Example.com', lower(contact_id || '@Example.com'), 'First ' || contact_id, 'Last', "
                            + "CASE WHEN right(contact_id, 1) < '7' THEN 1 ELSE 0 END, 'import', TIMESTAMPTZ '{t0}' - interval '1 year', "
                            + "TIMESTAMPTZ '{t0}' - interval '1 year', TIMESTAMPTZ '{t0}' - interval '1 year' FROM contact"},
            // What the last event of each cart carried: the cart row, its items, their number.
            new String[] {"cart_fact (store_id, cart_id, contact_id, visitor_id, state, status, total, currency_code, items, product_count, "
                    + "episode, recovered, create_time, update_time, abandon_time, convert_time)",
                    "SELECT store_id, cart_id, contact_id, visitor_id, state, status, total_price, currency_code, items, "
                            + "jsonb_array_length(items), episode, recovered, create_time, update_time, abandon_time, convert_time FROM cart.cart"},
            new String[] {"purchase_fact (store_id, transaction_id, contact_id, visitor_id, cart_id, currency_code, revenue, occur_time, "
                    + "conversion, items)",
                    "SELECT t.store_id, t.transaction_id, t.contact_id, t.visitor_id, t.cart_id, t.currency_code, t.revenue, t.occur_time, "
                            + "t.cart_conversion, coalesce((SELECT jsonb_agg(jsonb_build_object('product_id', i.product_id, 'product_name', "
                            + "i.product_name, 'category', i.category, 'category_id', i.category_id, 'unit_price', i.unit_price, 'quantity', "
                            + "i.quantity) ORDER BY i.line) FROM tx.shop_transaction_item i WHERE i.store_id = t.store_id "
                            + "AND i.transaction_id = t.transaction_id), '[]'::jsonb) FROM tx.shop_transaction t"});

    /**
     * contact_fact for every (contact, store) a cart or purchase names and for (contact, '') — the
     * rows the service's refresh would have written after the streams — as FactsStore.REFRESH
     * computes each: the last abandoned cart by abandon_time DESC NULLS LAST, store_id DESC,
     * cart_id DESC among carts in state 2; recovered carts; purchases and the last one's time.
     */
    private static final String CONTACT_FACTS = """
            SET work_mem = '256MB';
            INSERT INTO contact_fact (contact_id, scope, has_abandoned, last_cart_store_id, last_cart_id, last_total, last_currency_code,
                                      last_product_count, last_product_names, last_status, last_abandon_time, recovered_count, purchase_count,
                                      last_purchase_time)
            WITH pairs AS (
                SELECT contact_id, store_id FROM cart_fact WHERE contact_id IS NOT NULL
                UNION
                SELECT contact_id, store_id FROM purchase_fact WHERE contact_id IS NOT NULL
            ), scopes AS (
                SELECT contact_id, store_id AS scope FROM pairs
                UNION ALL
                SELECT DISTINCT contact_id, '' FROM pairs
            ), abandoned AS (
                SELECT * FROM cart_fact WHERE contact_id IS NOT NULL AND state = 2
            ), last AS (
                (SELECT DISTINCT ON (contact_id, store_id) contact_id, store_id AS scope, store_id, cart_id, total, currency_code,
                        product_count, items, status, abandon_time
                 FROM abandoned ORDER BY contact_id, store_id, abandon_time DESC NULLS LAST, cart_id DESC)
                UNION ALL
                (SELECT DISTINCT ON (contact_id) contact_id, '', store_id, cart_id, total, currency_code, product_count, items, status,
                        abandon_time
                 FROM abandoned ORDER BY contact_id, abandon_time DESC NULLS LAST, store_id DESC, cart_id DESC)
            ), recovered AS (
                SELECT contact_id, coalesce(store_id, '') AS scope, count(*) AS n
                FROM cart_fact WHERE contact_id IS NOT NULL AND recovered GROUP BY GROUPING SETS ((contact_id, store_id), (contact_id))
            ), purchases AS (
                SELECT contact_id, coalesce(store_id, '') AS scope, count(*) AS n, max(occur_time) AS t
                FROM purchase_fact WHERE contact_id IS NOT NULL GROUP BY GROUPING SETS ((contact_id, store_id), (contact_id))
            )
            SELECT s.contact_id, s.scope, l.cart_id IS NOT NULL, l.store_id, l.cart_id, l.total, l.currency_code, l.product_count,
                   CASE WHEN l.cart_id IS NULL THEN NULL
                        ELSE ARRAY(SELECT lower(i->>'product_name') FROM jsonb_array_elements(l.items) i) END,
                   l.status, l.abandon_time, coalesce(r.n, 0), coalesce(p.n, 0), p.t
            FROM scopes s
            LEFT JOIN last l ON l.contact_id = s.contact_id AND l.scope = s.scope
            LEFT JOIN recovered r ON r.contact_id = s.contact_id AND r.scope = s.scope
            LEFT JOIN purchases p ON p.contact_id = s.contact_id AND p.scope = s.scope;
            """;

    /**
     * Generates everything; the segment database must already hold the service's schema (the
     * service migrated it). Returns what took how long, and row counts, for the report.
     */
    static Map<String, String> generate(Postgres pg, Path root, int contacts, Instant t0) {
        Map<String, String> facts = new LinkedHashMap<>();
        String t0Text = t0.toString();
        long start = System.nanoTime();
        pg.createDatabase(BASELINE_DB);
        applyMigrations(pg, BASELINE_DB, "cart", root.resolve("cart-service/src/main/resources/db/migration"));
        applyMigrations(pg, BASELINE_DB, "tx", root.resolve("transaction-service/src/main/resources/db/migration"));
        try (Connection c = pg.connect(BASELINE_DB); Statement s = c.createStatement()) {
            List<String> indexes = dropSecondaryIndexes(s, List.of("cart.cart", "tx.shop_transaction", "tx.shop_transaction_item"));
            s.execute(GENERATE.replace("{t0}", t0Text).replace("{n}", Integer.toString(contacts)));
            recreate(s, indexes);
        } catch (SQLException e) {
            throw new IllegalStateException("generating the carts and purchases: " + e.getMessage(), e);
        }
        long generated = System.nanoTime();
        try (Connection from = pg.connect(BASELINE_DB); Connection to = pg.connect(SEGMENT_DB)) {
            List<String> indexes;
            try (Statement s = to.createStatement()) {
                indexes = dropSecondaryIndexes(s, List.of("public.contact", "public.cart_fact", "public.purchase_fact", "public.contact_fact"));
            }
            for (String[] copy : COPIES) {
                CopyOut out = from.unwrap(PGConnection.class).getCopyAPI()
                        .copyOut("COPY (" + copy[1].replace("{t0}", t0Text) + ") TO STDOUT");
                CopyIn in = to.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + copy[0] + " FROM STDIN");
                try {
                    for (byte[] row = out.readFromCopy(); row != null; row = out.readFromCopy()) {
                        in.writeToCopy(row, 0, row.length);
                    }
                    in.endCopy();
                } finally {
                    if (in.isActive()) {
                        in.cancelCopy();
                    }
                }
            }
            try (Statement s = to.createStatement()) {
                s.execute(CONTACT_FACTS);
                recreate(s, indexes);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("copying into the segment database: " + e.getMessage(), e);
        }
        long copied = System.nanoTime();
        // Both sides as a database that has been running: statistics, visibility map (index-only scans), hint bits.
        pg.execute(BASELINE_DB, "VACUUM (ANALYZE)");
        pg.execute(SEGMENT_DB, "VACUUM (ANALYZE)");
        long vacuumed = System.nanoTime();
        facts.put("generation", String.format("carts and purchases generated in %.1f s, copied into the segment database and "
                        + "contact_fact built in %.1f s, VACUUM (ANALYZE) of both in %.1f s",
                (generated - start) / 1e9, (copied - generated) / 1e9, (vacuumed - copied) / 1e9));
        facts.put("baseline", query(pg, BASELINE_DB, """
                SELECT format('%s contacts; %s carts (%s of contacts: %s active, %s abandoned, %s converted of which %s recovered; %s anonymous); '
                              || '%s purchases (%s of a cart), %s purchase lines; database %s',
                       to_char((SELECT count(*) FROM contact), 'FM999,999,999'),
                       to_char(count(*), 'FM999,999,999'), to_char(count(contact_id), 'FM999,999,999'),
                       to_char(count(*) FILTER (WHERE contact_id IS NOT NULL AND state = 1), 'FM999,999,999'),
                       to_char(count(*) FILTER (WHERE contact_id IS NOT NULL AND state = 2), 'FM999,999,999'),
                       to_char(count(*) FILTER (WHERE contact_id IS NOT NULL AND state = 3), 'FM999,999,999'),
                       to_char(count(*) FILTER (WHERE contact_id IS NOT NULL AND recovered), 'FM999,999,999'),
                       to_char(count(*) FILTER (WHERE contact_id IS NULL), 'FM999,999,999'),
                       to_char((SELECT count(*) FROM tx.shop_transaction), 'FM999,999,999'),
                       to_char((SELECT count(*) FROM tx.shop_transaction WHERE cart_id IS NOT NULL), 'FM999,999,999'),
                       to_char((SELECT count(*) FROM tx.shop_transaction_item), 'FM999,999,999'),
                       pg_size_pretty(pg_database_size(current_database())))
                FROM cart.cart
                """));
        facts.put("segment", query(pg, SEGMENT_DB, """
                SELECT format('%s contacts, %s cart_fact, %s purchase_fact, %s contact_fact rows (%s for all stores); database %s',
                       to_char((SELECT count(*) FROM contact), 'FM999,999,999'), to_char((SELECT count(*) FROM cart_fact), 'FM999,999,999'),
                       to_char((SELECT count(*) FROM purchase_fact), 'FM999,999,999'), to_char(count(*), 'FM999,999,999'),
                       to_char(count(*) FILTER (WHERE scope = ''), 'FM999,999,999'), pg_size_pretty(pg_database_size(current_database())))
                FROM contact_fact
                """));
        return facts;
    }

    /** {@code n} contact ids of the generated set, spread over it (for Match and the latency probes). */
    static List<String> sampleContacts(Postgres pg, int n, double seed) {
        List<String> ids = new ArrayList<>();
        try (Connection c = pg.connect(BASELINE_DB); Statement s = c.createStatement()) {
            s.execute("SELECT setseed(" + seed + ")");
            try (ResultSet rs = s.executeQuery("SELECT contact_id FROM contact ORDER BY random() LIMIT " + n)) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return ids;
    }

    private static String query(Postgres pg, String db, String sql) {
        try (Connection c = pg.connect(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Drops the indexes of {@code tables} that back no constraint, and returns their definitions:
     * loading a million rows and then building each index once (a sort) is several times faster
     * than maintaining it row by row, and the definitions come from the catalogue, so the
     * rebuilt indexes are exactly the migrations' ones. Keys and unique constraints stay.
     */
    private static List<String> dropSecondaryIndexes(Statement s, List<String> tables) throws SQLException {
        List<String> definitions = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("SELECT pg_get_indexdef(i.indexrelid), i.indexrelid::regclass::text FROM pg_index i "
                + "WHERE i.indrelid = ANY (ARRAY['" + String.join("','", tables) + "']::regclass[]) "
                + "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)")) {
            while (rs.next()) {
                definitions.add(rs.getString(1));
                names.add(rs.getString(2));
            }
        }
        for (String name : names) {
            s.execute("DROP INDEX " + name);
        }
        return definitions;
    }

    private static void recreate(Statement s, List<String> definitions) throws SQLException {
        s.execute("SET maintenance_work_mem = '512MB'");
        for (String d : definitions) {
            s.execute(d);
        }
    }

    /** A service's migrations (in the order of its db/migration/index.txt) in their own schema of {@code db}. */
    private static void applyMigrations(Postgres pg, String db, String schema, Path dir) {
        try (Connection c = pg.connect(db); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
            s.execute("SET search_path = " + schema);
            for (String line : Files.readAllLines(dir.resolve("index.txt"), StandardCharsets.UTF_8)) {
                String name = line.strip();
                if (!name.isEmpty() && !name.startsWith("#")) {
                    s.execute(Files.readString(dir.resolve(name), StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException(schema + " migrations: " + e.getMessage(), e);
        }
    }
}
