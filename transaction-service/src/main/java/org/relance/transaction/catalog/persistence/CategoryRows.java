package org.relance.transaction.catalog.persistence;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.relance.kit.db.Sql;
import org.relance.transaction.catalog.domain.ProductCategory;
import org.relance.transaction.catalog.domain.WriteCounts;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Reading and writing category rows, many at a time, and finding parent cycles. */
public final class CategoryRows {
    static final String COLUMNS = "store_id, category_id, name, parent_category_id, create_time, update_time";

    private static final String UPSERT = """
            WITH written AS (
                INSERT INTO product_category AS k (store_id, category_id, name, parent_category_id, create_time, update_time)
                SELECT $1::text, u.*, $5::timestamptz, $5::timestamptz FROM unnest($2::text[], $3::text[], $4::text[]) AS u
                ON CONFLICT (store_id, category_id) DO UPDATE SET
                    name = EXCLUDED.name, parent_category_id = EXCLUDED.parent_category_id, update_time = EXCLUDED.update_time
                WHERE (k.name, k.parent_category_id) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.parent_category_id)
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM written
            """;

    // Walks up from each category named; a walk that comes back to its start is a cycle. The path
    // check stops any walk that would loop elsewhere.
    private static final String CYCLES = """
            WITH RECURSIVE walk (start_id, current_id, path) AS (
                SELECT k.category_id, k.parent_category_id, ARRAY[k.category_id]
                FROM product_category k
                WHERE k.store_id = $1 AND k.category_id = ANY($2::text[]) AND k.parent_category_id IS NOT NULL
              UNION ALL
                SELECT w.start_id, k.parent_category_id, w.path || k.category_id
                FROM walk w JOIN product_category k ON k.store_id = $1 AND k.category_id = w.current_id
                WHERE k.parent_category_id IS NOT NULL AND w.current_id <> w.start_id AND NOT k.category_id = ANY(w.path)
            )
            SELECT start_id, array_to_string(path || current_id, ' > ') AS cycle FROM walk WHERE current_id = start_id
            """;

    private CategoryRows() {
    }

    /** A category whose parent chain comes back to it, with the chain ({@code a > b > a}). */
    public record Cycle(String categoryId, String path) {
    }

    static ProductCategory map(Readable row) {
        return new ProductCategory(row.get("store_id", String.class), row.get("category_id", String.class),
                row.get("name", String.class), row.get("parent_category_id", String.class),
                Sql.instant(row, "create_time"), Sql.instant(row, "update_time"));
    }

    /** Inserts or replaces the categories of one store in one statement; their ids must be distinct. */
    public static Mono<WriteCounts> upsert(Connection c, String storeId, List<ProductCategory> categories, Instant now) {
        int n = categories.size();
        if (n == 0) {
            return Mono.just(WriteCounts.NONE);
        }
        String[][] cols = new String[3][n];
        for (int i = 0; i < n; i++) {
            ProductCategory k = categories.get(i);
            cols[0][i] = k.categoryId();
            cols[1][i] = k.name();
            cols[2][i] = k.parentCategoryId();
        }
        return Sql.query(c, UPSERT, row -> ProductRows.counts(row, n), storeId, cols[0], cols[1], cols[2], now).single();
    }

    /** The categories among {@code categoryIds} that are now their own ancestor (call after writing them). */
    public static Flux<Cycle> cycles(Connection c, String storeId, Collection<String> categoryIds) {
        return Sql.query(c, CYCLES, row -> new Cycle(row.get("start_id", String.class), row.get("cycle", String.class)),
                storeId, categoryIds.toArray(String[]::new));
    }
}
