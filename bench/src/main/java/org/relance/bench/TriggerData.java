package org.relance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;

/**
 * The data of the {@code triggers} scenario, written with SQL straight into the segment service's
 * schema: {n} contacts with an e-mail and granted consent, each with one cart abandoned in
 * {@code shop-fr} at the same instant (as one sweeper round stamps every cart it marks), tracked on
 * a site (so each payload carries a signed restore link), 1 to 5 lines from a 2,000-product
 * catalogue; and that catalogue in the transaction service's {@code product} table (URL, image,
 * alt text), so that every payload is enriched by a real {@code BatchGetProducts}. Generating
 * 100,000 carts through the tracker, the cart service's sweeper and the fact consumer would take
 * minutes of its own and measure those instead; the rows here are what the consumer would have
 * written (the cart service's event log is empty, so the consumer has nothing to replay).
 * The statement is deterministic (setseed), so the baseline database gets the same rows.
 */
final class TriggerData {
    static final String STORE = "shop-fr";
    static final String SITE = "shop-fr-web";
    static final int PRODUCTS = 2000;

    /** Product names as in SegmentData (so payloads look like the segments scenario's carts). {p}: the product number. */
    private static final String PRODUCT_NAME = "(ARRAY['Premium','Basic','Pro','Mini','Ultra','Classic','Smart','Eco','Deluxe','Travel'])"
            + "[1 + ({p} / 200) % 10] || ' ' || (ARRAY['HDMI Cable','USB-C Charger','Wireless Mouse','Keyboard','Laptop Stand','Monitor',"
            + "'Webcam','Headphones','Phone Case','Screen Protector','Power Bank','SD Card','Router','Smart Bulb','Desk Lamp','Coffee Mug',"
            + "'T-Shirt','Sneakers','Backpack','Water Bottle'])[1 + {p} % 20] || ' ' || (ARRAY['Black','White','Red','Blue','Green','Grey',"
            + "'Silver','Gold','Pink','Orange'])[1 + ({p} / 20) % 10]";
    private static final String CATEGORY = "(ARRAY['Cables','Chargers','Mice','Keyboards','Stands','Monitors','Webcams','Audio','Cases',"
            + "'Protection','Power','Storage','Network','Lighting','Lighting','Kitchen','Clothing','Shoes','Bags','Outdoor'])[1 + {p} % 20]";
    /** The unit price of product {p}, the same in the catalogue and in the carts. */
    private static final String PRICE = "round((5 + (({p} * 7919) % 19500) / 100.0)::numeric, 2)";

    /** {n}: carts (= contacts), {a}: the abandonment instant. */
    private static final String GENERATE = """
            SET work_mem = '256MB';
            SELECT setseed(0.1717);
            INSERT INTO contact (contact_id, email, email_key, first_name, last_name, consent_state, consent_source, consent_time,
                                 create_time, update_time)
            SELECT 'tc' || lpad(g::text, 7, '0'), 'tc' || lpad(g::text, 7, '0') || '@example.com', 'tc' || lpad(g::text, 7, '0') || '@example.com',
                   'First' || g, 'Last' || g, 1, 'import', TIMESTAMPTZ '{a}' - interval '300 days', TIMESTAMPTZ '{a}' - interval '300 days',
                   TIMESTAMPTZ '{a}' - interval '300 days'
            FROM generate_series(1, {n}) g;
            CREATE TEMP TABLE lines AS
            SELECT g, j, (base + j * 97) % 2000 AS p, 1 + (g + j) % 3 AS qty
            FROM (SELECT g, 1 + floor(random() * 5)::int AS nlines, floor(2000 * random() * random())::int AS base
                  FROM generate_series(1, {n}) g) c, generate_series(0, nlines - 1) j;
            INSERT INTO cart_fact (store_id, cart_id, site_id, contact_id, visitor_id, state, status, total, currency_code, items, product_count,
                                   episode, recovered, create_time, update_time, abandon_time, convert_time)
            SELECT '{store}', 'tk' || lpad(l.g::text, 7, '0'), '{site}', 'tc' || lpad(l.g::text, 7, '0'), 'v' || l.g, 2, 'ValidateShippingStep',
                   sum({price_p} * l.qty), 'EUR',
                   jsonb_agg(jsonb_build_object('product_id', 'sku-' || lpad(l.p::text, 4, '0'), 'product_name', {name_p}, 'category', {category_p},
                                                'category_id', 'cat-' || (l.p % 20), 'unit_price', {price_p}, 'quantity', l.qty) ORDER BY l.j),
                   count(*), 1, false, TIMESTAMPTZ '{a}' - interval '2 hours', TIMESTAMPTZ '{a}' - interval '1 hour', TIMESTAMPTZ '{a}', NULL
            FROM lines l GROUP BY l.g;
            DROP TABLE lines;
            """;

    private static final String CATALOGUE = """
            INSERT INTO product (store_id, product_id, name, description, url, image_url, image_alt_text, unit_price, currency_code, category_id,
                                 create_time, update_time)
            SELECT '{store}', 'sku-' || lpad(p::text, 4, '0'), {name}, NULL, 'https://shop.example/p/sku-' || lpad(p::text, 4, '0'),
                   'https://cdn.shop.example/img/sku-' || lpad(p::text, 4, '0') || '.jpg', {name} || ', front view', {price}, 'EUR',
                   'cat-' || (p % 20), now(), now()
            FROM generate_series(0, {products} - 1) p;
            """;

    private TriggerData() {
    }

    /** Writes the contacts and abandoned carts into a database holding the segment service's schema, then VACUUM ANALYZE. */
    static void generate(Postgres pg, String database, int carts, Instant abandonTime) {
        String sql = GENERATE.replace("{n}", Integer.toString(carts)).replace("{a}", abandonTime.toString())
                .replace("{store}", STORE).replace("{site}", SITE)
                .replace("{price_p}", PRICE.replace("{p}", "l.p")).replace("{name_p}", PRODUCT_NAME.replace("{p}", "l.p"))
                .replace("{category_p}", CATEGORY.replace("{p}", "l.p"));
        try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
            s.execute(sql);
            // Plans are made with statistics, as on a database that has been running (autovacuum would get there within a minute).
            s.execute("VACUUM (ANALYZE) contact");
            s.execute("VACUUM (ANALYZE) cart_fact");
            // notification stays as the migration left it (empty, never analysed), as on a new install: autovacuum decides.
        } catch (SQLException e) {
            throw new IllegalStateException(database + ": " + e.getMessage(), e);
        }
    }

    /** The catalogue of {@code shop-fr} in the transaction service's database. */
    static void catalogue(Postgres pg, String database) {
        pg.execute(database, CATALOGUE.replace("{store}", STORE).replace("{name}", PRODUCT_NAME.replace("{p}", "p"))
                .replace("{price}", PRICE.replace("{p}", "p")).replace("{products}", Integer.toString(PRODUCTS)), "ANALYZE product");
    }

    /** The segment service's migrations (in the order of its index.txt) applied to {@code database}, as Flyway would. */
    static void applySegmentMigrations(Path root, Postgres pg, String database) {
        Path dir = root.resolve("segment-service/src/main/resources/db/migration");
        try {
            for (String line : Files.readAllLines(dir.resolve("index.txt"), StandardCharsets.UTF_8)) {
                String name = line.trim();
                if (name.isEmpty() || name.startsWith("#")) {
                    continue;
                }
                pg.execute(database, Files.readString(dir.resolve(name), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
