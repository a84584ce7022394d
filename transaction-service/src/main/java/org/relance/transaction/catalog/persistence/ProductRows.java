package org.relance.transaction.catalog.persistence;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.relance.kit.db.Sql;
import org.relance.transaction.catalog.domain.Product;
import org.relance.transaction.catalog.domain.WriteCounts;
import reactor.core.publisher.Mono;

/** Reading and writing product rows, many at a time (one statement for a whole batch). */
public final class ProductRows {
    static final String COLUMNS = "store_id, product_id, name, description, url, image_url, image_alt_text, unit_price, "
            + "currency_code, category_id, create_time, update_time";

    // Rows equal to the stored ones are left alone (their update_time too) and counted as unchanged.
    private static final String UPSERT = """
            WITH written AS (
                INSERT INTO product AS p (store_id, product_id, name, description, url, image_url, image_alt_text, unit_price,
                                          currency_code, category_id, create_time, update_time)
                SELECT $1::text, u.*, $11::timestamptz, $11::timestamptz
                FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::numeric[],
                            $9::text[], $10::text[]) AS u
                ON CONFLICT (store_id, product_id) DO UPDATE SET
                    name = EXCLUDED.name, description = EXCLUDED.description, url = EXCLUDED.url,
                    image_url = EXCLUDED.image_url, image_alt_text = EXCLUDED.image_alt_text, unit_price = EXCLUDED.unit_price,
                    currency_code = EXCLUDED.currency_code, category_id = EXCLUDED.category_id, update_time = EXCLUDED.update_time
                WHERE (p.name, p.description, p.url, p.image_url, p.image_alt_text, p.unit_price, p.currency_code, p.category_id)
                      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.url, EXCLUDED.image_url,
                                        EXCLUDED.image_alt_text, EXCLUDED.unit_price, EXCLUDED.currency_code, EXCLUDED.category_id)
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM written
            """;

    private ProductRows() {
    }

    static Product map(Readable row) {
        return new Product(row.get("store_id", String.class), row.get("product_id", String.class),
                row.get("name", String.class), row.get("description", String.class), row.get("url", String.class),
                row.get("image_url", String.class), row.get("image_alt_text", String.class),
                row.get("unit_price", BigDecimal.class), row.get("currency_code", String.class),
                row.get("category_id", String.class), Sql.instant(row, "create_time"), Sql.instant(row, "update_time"));
    }

    /**
     * Inserts or replaces the products of one store in one statement. Their ids must be distinct
     * (PostgreSQL cannot change a row twice in one statement).
     */
    public static Mono<WriteCounts> upsert(Connection c, String storeId, List<Product> products, Instant now) {
        int n = products.size();
        if (n == 0) {
            return Mono.just(WriteCounts.NONE);
        }
        String[][] cols = new String[9][n];
        for (int i = 0; i < n; i++) {
            Product p = products.get(i);
            cols[0][i] = p.productId();
            cols[1][i] = p.name();
            cols[2][i] = p.description();
            cols[3][i] = p.url();
            cols[4][i] = p.imageUrl();
            cols[5][i] = p.imageAltText();
            cols[6][i] = p.unitPrice() == null ? null : p.unitPrice().toPlainString();
            cols[7][i] = p.unitPrice() == null ? null : p.currencyCode();
            cols[8][i] = p.categoryId();
        }
        return Sql.query(c, UPSERT, row -> counts(row, n), storeId, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5],
                cols[6], cols[7], cols[8], now).single();
    }

    static WriteCounts counts(Readable row, int total) {
        long inserted = row.get("inserted", Long.class);
        long updated = row.get("updated", Long.class);
        return new WriteCounts(inserted, updated, total - inserted - updated);
    }
}
