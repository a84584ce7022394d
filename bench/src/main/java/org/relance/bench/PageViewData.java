package org.relance.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The synthetic data of the {@code pageviews-segments} scenario, generated with SQL in the
 * segment service's database after the service migrated it (V3: {@code page_url},
 * {@code contact_page_day}, {@code visitor_page_day}). The raw views come first, in a table of
 * their own ({@code bench_raw.page_view}: store, contact, URL, time, in time order as a log
 * holds them): the honest baseline, what a visited-URL question reads without the facts. The
 * service's daily counts are then derived from those very rows (one GROUP BY by contact, URL and
 * UTC day, as the page consumer sums them), so both sides hold the same views and every answer
 * must be equal.
 */
final class PageViewData {
    static final String DB = "relance_segment";
    static final String STORE = "bench-store";
    static final String OTHER_STORE = "other-store";

    private PageViewData() {
    }

    /**
     * {n} contacts 'c%07d'; the URL dictionary of two stores (bench-store: /product/1..40000,
     * /category/1..5000, /blog/post-1..4998, /cart, /thank-you on https://shop.example; other-store:
     * /product/1..9000, /category/1..998, /cart, /thank-you on https://other.example); {views}
     * views, 90% in bench-store, each URL drawn by a Zipf-like rank (P(rank k) ≈ 1/(k ln N); /cart
     * is rank 1, the rest shuffled by the hash of the URL), each contact as 1 + (⌊n·u²⌋ · 7919) mod
     * n (a few heavy contacts, spread over the ids), times uniform over the last 180 days. Then
     * 1,000,000 anonymous views of 200,000 visitors (same spreads), already as daily counts, and
     * commerce facts (scope '') for every fifth contact, 40% of them with an abandoned cart.
     */
    private static final String GENERATE = """
            SET work_mem = '256MB';
            SET maintenance_work_mem = '512MB';
            SELECT setseed(0.2026);
            INSERT INTO contact (contact_id, email, email_key, first_name, last_name, consent_state, consent_source, consent_time,
                                 create_time, update_time)
            SELECT id, id || '@example.com', id || '@example.com', 'First ' || id, 'Last', 1, 'import',
                   TIMESTAMPTZ '{t0}' - interval '1 year', TIMESTAMPTZ '{t0}' - interval '1 year', TIMESTAMPTZ '{t0}' - interval '1 year'
            FROM (SELECT 'c' || lpad(g::text, 7, '0') AS id FROM generate_series(1, {n}) g) c;
            INSERT INTO page_url (store_id, url, path_and_query)
            SELECT s, h || p, p FROM (
                SELECT 'bench-store' AS s, 'https://shop.example' AS h, '/product/' || g AS p, 1 AS k, g FROM generate_series(1, 40000) g
                UNION ALL SELECT 'bench-store', 'https://shop.example', '/category/' || g, 2, g FROM generate_series(1, 5000) g
                UNION ALL SELECT 'bench-store', 'https://shop.example', '/blog/post-' || g, 3, g FROM generate_series(1, 4998) g
                UNION ALL SELECT 'bench-store', 'https://shop.example', '/cart', 4, 1
                UNION ALL SELECT 'bench-store', 'https://shop.example', '/thank-you', 4, 2
                UNION ALL SELECT 'other-store', 'https://other.example', '/product/' || g, 5, g FROM generate_series(1, 9000) g
                UNION ALL SELECT 'other-store', 'https://other.example', '/category/' || g, 6, g FROM generate_series(1, 998) g
                UNION ALL SELECT 'other-store', 'https://other.example', '/cart', 7, 1
                UNION ALL SELECT 'other-store', 'https://other.example', '/thank-you', 7, 2) u
            ORDER BY k, g;
            CREATE TEMP TABLE url_rank AS
            SELECT store_id, url_id, url,
                   row_number() OVER (PARTITION BY store_id ORDER BY path_and_query <> '/cart', md5(url)) AS rank
            FROM page_url;
            ALTER TABLE url_rank ADD PRIMARY KEY (store_id, rank);
            CREATE TEMP TABLE store_size AS SELECT store_id, count(*) AS n FROM page_url GROUP BY store_id;
            CREATE SCHEMA bench_raw;
            CREATE UNLOGGED TABLE bench_raw.page_view AS
            SELECT r.store_id, v.contact_id, r.url, v.view_time
            FROM (SELECT CASE WHEN random() < 0.9 THEN 'bench-store' ELSE 'other-store' END AS store_id, random() AS ru,
                         'c' || lpad((1 + (floor({n} * power(random(), 2))::bigint * 7919) % {n})::text, 7, '0') AS contact_id,
                         TIMESTAMPTZ '{t0}' - random() * interval '180 days' AS view_time
                  FROM generate_series(1, {views})) v
            JOIN store_size s ON s.store_id = v.store_id
            JOIN url_rank r ON r.store_id = v.store_id AND r.rank = least(s.n, floor(exp(v.ru * ln(s.n + 1)))::bigint)
            ORDER BY v.view_time;
            INSERT INTO contact_page_day (contact_id, url_id, day, store_id, views)
            SELECT v.contact_id, p.url_id, (v.view_time AT TIME ZONE 'UTC')::date, v.store_id, count(*)
            FROM bench_raw.page_view v JOIN page_url p ON p.store_id = v.store_id AND p.url = v.url
            GROUP BY 1, 2, 3, 4;
            INSERT INTO visitor_page_day (store_id, visitor_id, url_id, day, views)
            SELECT r.store_id, v.visitor_id, r.url_id, (v.view_time AT TIME ZONE 'UTC')::date, count(*)
            FROM (SELECT CASE WHEN random() < 0.9 THEN 'bench-store' ELSE 'other-store' END AS store_id, random() AS ru,
                         'v' || lpad(floor(200000 * power(random(), 2))::text, 7, '0') AS visitor_id,
                         TIMESTAMPTZ '{t0}' - random() * interval '180 days' AS view_time
                  FROM generate_series(1, 1000000)) v
            JOIN store_size s ON s.store_id = v.store_id
            JOIN url_rank r ON r.store_id = v.store_id AND r.rank = least(s.n, floor(exp(v.ru * ln(s.n + 1)))::bigint)
            GROUP BY 1, 2, 3, 4;
            INSERT INTO contact_fact (contact_id, scope, has_abandoned, last_cart_store_id, last_cart_id, last_total, last_currency_code,
                                      last_product_count, last_product_names, last_status, last_abandon_time, recovered_count,
                                      purchase_count, last_purchase_time)
            SELECT contact_id, '', a, CASE WHEN a THEN 'bench-store' END, CASE WHEN a THEN 'k' || contact_id END,
                   CASE WHEN a THEN 49.90 END, CASE WHEN a THEN 'EUR' END, CASE WHEN a THEN 2 END,
                   CASE WHEN a THEN ARRAY['premium hdmi cable black', 'basic keyboard white'] END, CASE WHEN a THEN 'Cart' END,
                   CASE WHEN a THEN TIMESTAMPTZ '{t0}' - r * interval '90 days' END, 0, CASE WHEN a THEN 0 ELSE 1 END,
                   CASE WHEN a THEN NULL ELSE TIMESTAMPTZ '{t0}' - r * interval '90 days' END
            FROM (SELECT contact_id, r, r < 0.4 AS a FROM (SELECT contact_id, random() AS r FROM contact
                                                         WHERE right(contact_id, 1) IN ('0', '5')) x) y;
            """;

    /**
     * Generates everything into {@link #DB} (already migrated by the service). The indexes of
     * contact_page_day (its primary key included) are dropped during the load and rebuilt from
     * their catalogue definitions (one sort each instead of nine million insertions), and the
     * foreign key to page_url is not checked row by row (session_replication_role = replica: the
     * URL ids come from page_url itself). Returns timings and sizes, for the report.
     */
    static Map<String, String> generate(Postgres pg, int contacts, long views, Instant t0) {
        Map<String, String> facts = new LinkedHashMap<>();
        long start = System.nanoTime();
        try (Connection c = pg.connect(DB); Statement s = c.createStatement()) {
            List<String> rebuild = new ArrayList<>();
            List<String> drop = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT CASE WHEN con.conname IS NULL THEN pg_get_indexdef(i.indexrelid) "
                    + "ELSE 'ALTER TABLE contact_page_day ADD CONSTRAINT ' || quote_ident(con.conname) || ' ' || pg_get_constraintdef(con.oid) END, "
                    + "CASE WHEN con.conname IS NULL THEN 'DROP INDEX ' || i.indexrelid::regclass::text "
                    + "ELSE 'ALTER TABLE contact_page_day DROP CONSTRAINT ' || quote_ident(con.conname) END "
                    + "FROM pg_index i LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid "
                    + "WHERE i.indrelid = 'contact_page_day'::regclass ORDER BY con.conname NULLS LAST")) {
                while (rs.next()) {
                    rebuild.add(rs.getString(1));
                    drop.add(rs.getString(2));
                }
            }
            for (String d : drop) {
                s.execute(d);
            }
            s.execute("SET session_replication_role = replica");
            s.execute(GENERATE.replace("{t0}", t0.toString()).replace("{n}", Integer.toString(contacts))
                    .replace("{views}", Long.toString(views)));
            long loaded = System.nanoTime();
            s.execute("SET session_replication_role = DEFAULT");
            s.execute("SET maintenance_work_mem = '512MB'");
            for (String r : rebuild) {
                s.execute(r);
            }
            // What the raw-log baseline may use: an index by time (the log is in time order anyway).
            s.execute("CREATE INDEX page_view_by_time ON bench_raw.page_view (view_time)");
            long indexed = System.nanoTime();
            s.execute("VACUUM (ANALYZE)");
            long vacuumed = System.nanoTime();
            facts.put("generation", String.format("generated with SQL in %.1f s (raw views, daily counts, visitors, facts), "
                            + "indexes rebuilt in %.1f s, VACUUM (ANALYZE) in %.1f s",
                    (loaded - start) / 1e9, (indexed - loaded) / 1e9, (vacuumed - indexed) / 1e9));
        } catch (SQLException e) {
            throw new IllegalStateException("generating the page views: " + e.getMessage(), e);
        }
        facts.put("tables", query(pg, """
                SELECT string_agg(format('%s %s rows, %s (table %s)', t, to_char(n, 'FM999,999,999'),
                                         pg_size_pretty(pg_total_relation_size(t::regclass)), pg_size_pretty(pg_relation_size(t::regclass))),
                                  '; ' ORDER BY o)
                FROM (VALUES (1, 'contact', (SELECT count(*) FROM contact)), (2, 'page_url', (SELECT count(*) FROM page_url)),
                             (3, 'contact_page_day', (SELECT count(*) FROM contact_page_day)),
                             (4, 'visitor_page_day', (SELECT count(*) FROM visitor_page_day)),
                             (5, 'contact_fact', (SELECT count(*) FROM contact_fact)),
                             (6, 'bench_raw.page_view', (SELECT count(*) FROM bench_raw.page_view))) x(o, t, n)
                """));
        facts.put("spread", query(pg, """
                SELECT format('%s views in contact_page_day (%s in bench_raw.page_view), %s of them in other-store; %s contacts with a view; '
                              || 'the busiest contact %s views, the median contact with views %s; /cart %s views; '
                              || '%s anonymous views (%s visitors); %s contact_fact rows with an abandoned cart',
                       to_char(sum(views), 'FM999,999,999'), to_char((SELECT count(*) FROM bench_raw.page_view), 'FM999,999,999'),
                       to_char(sum(views) FILTER (WHERE store_id = 'other-store'), 'FM999,999,999'),
                       to_char((SELECT count(DISTINCT contact_id) FROM contact_page_day), 'FM999,999,999'),
                       (SELECT max(n) FROM (SELECT sum(views) n FROM contact_page_day GROUP BY contact_id) m),
                       (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n) FROM (SELECT sum(views) n FROM contact_page_day GROUP BY contact_id) m),
                       to_char(sum(views) FILTER (WHERE url_id = (SELECT url_id FROM page_url WHERE store_id = 'bench-store' AND path_and_query = '/cart')),
                               'FM999,999,999'),
                       to_char((SELECT sum(views) FROM visitor_page_day), 'FM999,999,999'),
                       to_char((SELECT count(DISTINCT visitor_id) FROM visitor_page_day), 'FM999,999,999'),
                       to_char((SELECT count(*) FROM contact_fact WHERE has_abandoned), 'FM999,999,999'))
                FROM contact_page_day
                """));
        facts.put("check", query(pg, "SELECT ((SELECT sum(views) FROM contact_page_day) = (SELECT count(*) FROM bench_raw.page_view))::text"));
        return facts;
    }

    /** {@code n} contact ids spread over the whole set (for MatchContact). */
    static List<String> sampleContacts(Postgres pg, int n, double seed) {
        List<String> ids = new ArrayList<>();
        try (Connection c = pg.connect(DB); Statement s = c.createStatement()) {
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

    private static String query(Postgres pg, String sql) {
        try (Connection c = pg.connect(DB); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
