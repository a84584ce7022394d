package org.relance.transaction.catalog.persistence;

import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.error.InvalidArgumentException;
import org.relance.kit.error.NotFoundException;
import org.relance.kit.error.FieldViolation;
import org.relance.kit.time.Instants;
import org.relance.transaction.catalog.domain.Product;
import org.relance.transaction.catalog.domain.ProductCategory;
import org.relance.transaction.catalog.domain.WriteCounts;
import reactor.core.publisher.Mono;

/** Products and categories of the stores' catalogues. */
@Singleton
public class CatalogRepository {
    private final Database database;
    private final CatalogRequests requests;
    private final Clock clock;

    public CatalogRepository(Database database, CatalogRequests requests, Clock clock) {
        this.database = database;
        this.requests = requests;
        this.clock = clock;
    }

    /** Inserts or replaces validated products (distinct ids) in one transaction, once per request id. */
    public Uni<WriteCounts> upsertProducts(String storeId, String requestId, byte[] fingerprint, List<Product> products) {
        Instant now = Instants.now(clock);
        return Reactive.uni(database.inTransaction(c -> requests.once(c, storeId, requestId, fingerprint, WriteCounts.class,
                () -> ProductRows.upsert(c, storeId, products, now))));
    }

    public Uni<Product> getProduct(String storeId, String productId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "SELECT " + ProductRows.COLUMNS + " FROM product WHERE store_id = $1 AND product_id = $2",
                        ProductRows::map, storeId, productId))
                .next()
                .switchIfEmpty(Mono.error(() -> productNotFound(storeId, productId))));
    }

    /** Products with an id after {@code afterId}, by id, of one category when {@code categoryId} is not null. */
    public Uni<List<Product>> listProducts(String storeId, String categoryId, String afterId, int limit) {
        String sql = "SELECT " + ProductRows.COLUMNS + " FROM product WHERE store_id = $1 AND product_id > $2"
                + (categoryId == null ? "" : " AND category_id = $3") + " ORDER BY product_id LIMIT " + limit;
        Object[] args = categoryId == null ? new Object[] {storeId, afterId} : new Object[] {storeId, afterId, categoryId};
        return Reactive.uni(database.withConnection(c -> Sql.query(c, sql, ProductRows::map, args)).collectList());
    }

    /** The products found among {@code productIds}, by id. */
    public Uni<Map<String, Product>> products(String storeId, List<String> productIds) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "SELECT " + ProductRows.COLUMNS + " FROM product WHERE store_id = $1 AND product_id = ANY($2::text[])",
                        ProductRows::map, storeId, productIds.toArray(String[]::new)))
                .collectMap(Product::productId, p -> p, HashMap::new)
                .map(m -> (Map<String, Product>) m));
    }

    /** Deletes a product; returns it as it was. */
    public Uni<Product> deleteProduct(String storeId, String productId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "DELETE FROM product WHERE store_id = $1 AND product_id = $2 RETURNING " + ProductRows.COLUMNS,
                        ProductRows::map, storeId, productId))
                .next()
                .switchIfEmpty(Mono.error(() -> productNotFound(storeId, productId))));
    }

    /**
     * Inserts or replaces validated categories (distinct ids) in one transaction, once per request
     * id; refused with nothing changed when a parent chain would loop.
     */
    public Uni<WriteCounts> upsertCategories(String storeId, String requestId, byte[] fingerprint,
                                             List<ProductCategory> categories) {
        Instant now = Instants.now(clock);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < categories.size(); i++) {
            index.put(categories.get(i).categoryId(), i);
        }
        return Reactive.uni(database.inTransaction(c -> requests.once(c, storeId, requestId, fingerprint, WriteCounts.class,
                () -> CategoryRows.upsert(c, storeId, categories, now)
                        .flatMap(counts -> CategoryRows.cycles(c, storeId, index.keySet()).collectList().flatMap(cycles -> {
                            if (cycles.isEmpty()) {
                                return Mono.just(counts);
                            }
                            List<FieldViolation> found = new ArrayList<>();
                            cycles.stream()
                                    .sorted((a, b) -> Integer.compare(index.get(a.categoryId()), index.get(b.categoryId())))
                                    .forEach(cycle -> found.add(new FieldViolation(
                                            "categories[" + index.get(cycle.categoryId()) + "].parent_category_id",
                                            "makes a cycle: " + cycle.path())));
                            return Mono.error(new InvalidArgumentException(found));
                        })))));
    }

    public Uni<ProductCategory> getCategory(String storeId, String categoryId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "SELECT " + CategoryRows.COLUMNS + " FROM product_category WHERE store_id = $1 AND category_id = $2",
                        CategoryRows::map, storeId, categoryId))
                .next()
                .switchIfEmpty(Mono.error(() -> categoryNotFound(storeId, categoryId))));
    }

    /** Categories with an id after {@code afterId}, by id, children of one parent when {@code parentId} is not null. */
    public Uni<List<ProductCategory>> listCategories(String storeId, String parentId, String afterId, int limit) {
        String sql = "SELECT " + CategoryRows.COLUMNS + " FROM product_category WHERE store_id = $1 AND category_id > $2"
                + (parentId == null ? "" : " AND parent_category_id = $3") + " ORDER BY category_id LIMIT " + limit;
        Object[] args = parentId == null ? new Object[] {storeId, afterId} : new Object[] {storeId, afterId, parentId};
        return Reactive.uni(database.withConnection(c -> Sql.query(c, sql, CategoryRows::map, args)).collectList());
    }

    /** Deletes a category; returns it as it was. Children and products keep naming it. */
    public Uni<ProductCategory> deleteCategory(String storeId, String categoryId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "DELETE FROM product_category WHERE store_id = $1 AND category_id = $2 RETURNING " + CategoryRows.COLUMNS,
                        CategoryRows::map, storeId, categoryId))
                .next()
                .switchIfEmpty(Mono.error(() -> categoryNotFound(storeId, categoryId))));
    }

    private static NotFoundException productNotFound(String storeId, String productId) {
        return new NotFoundException("store " + storeId + " has no product " + productId);
    }

    private static NotFoundException categoryNotFound(String storeId, String categoryId) {
        return new NotFoundException("store " + storeId + " has no category " + categoryId);
    }
}
