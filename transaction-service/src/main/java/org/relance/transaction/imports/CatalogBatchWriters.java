package org.relance.transaction.imports;

import io.r2dbc.spi.Connection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.relance.kit.time.Instants;
import org.relance.transaction.catalog.domain.Product;
import org.relance.transaction.catalog.domain.ProductCategory;
import org.relance.transaction.catalog.persistence.CategoryRows;
import org.relance.transaction.catalog.persistence.ProductRows;
import reactor.core.publisher.Mono;

/** Batch writers of the catalogue's two tables, and adapters to a {@link TransactionImportTarget}. */
final class CatalogBatchWriters {
    private static final String SAVEPOINT = "import_categories";

    private CatalogBatchWriters() {
    }

    static BatchWriter<Product> products(String storeId, Clock clock) {
        return (rows, c) -> ProductRows.upsert(c, storeId, rows.stream().map(BatchWriter.Row::value).toList(), Instants.now(clock))
                .map(counts -> new BatchResult(counts.inserted(), counts.updated(), counts.unchanged(), List.of()));
    }

    /**
     * Categories: a row whose parent chain would come back to it is rejected and the batch written
     * again without it (inside a savepoint, so that the import's transaction stays usable).
     */
    static BatchWriter<ProductCategory> categories(String storeId, Clock clock) {
        return (rows, c) -> writeCategories(storeId, clock, rows, c, new ArrayList<>());
    }

    private static Mono<BatchResult> writeCategories(String storeId, Clock clock, List<BatchWriter.Row<ProductCategory>> rows,
                                                     Connection c, List<RowRejection> rejected) {
        Map<String, BatchWriter.Row<ProductCategory>> byId = new HashMap<>();
        rows.forEach(row -> byId.put(row.value().categoryId(), row));
        List<ProductCategory> values = rows.stream().map(BatchWriter.Row::value).toList();
        return Mono.from(c.createSavepoint(SAVEPOINT))
                .then(CategoryRows.upsert(c, storeId, values, Instants.now(clock)))
                .flatMap(counts -> CategoryRows.cycles(c, storeId, byId.keySet()).collectList().flatMap(cycles -> {
                    if (cycles.isEmpty()) {
                        return Mono.from(c.releaseSavepoint(SAVEPOINT)).then(Mono.fromSupplier(() -> new BatchResult(
                                counts.inserted(), counts.updated(), counts.unchanged(), rejected)));
                    }
                    List<BatchWriter.Row<ProductCategory>> kept = new ArrayList<>(rows);
                    for (CategoryRows.Cycle cycle : cycles) {
                        BatchWriter.Row<ProductCategory> row = byId.get(cycle.categoryId());
                        kept.remove(row);
                        rejected.add(new RowRejection(row.line(), "parent_category_id",
                                "the parent chain makes a cycle: " + cycle.path()));
                    }
                    return Mono.from(c.rollbackTransactionToSavepoint(SAVEPOINT))
                            .then(kept.isEmpty() ? Mono.just(new BatchResult(0, 0, 0, rejected))
                                    : writeCategories(storeId, clock, kept, c, rejected));
                }));
    }

    static BatchWriter<ImportedTransaction> transactions(TransactionImportTarget target, String storeId, ImportKeyMode mode) {
        return (rows, c) -> Mono.fromCompletionStage(() -> target.writeTransactions(storeId, mode,
                rows.stream().map(BatchWriter.Row::value).toList(), c).subscribeAsCompletionStage());
    }

    static BatchWriter<ImportedItem> items(TransactionImportTarget target, String storeId, ImportKeyMode mode) {
        return (rows, c) -> Mono.fromCompletionStage(() -> target.writeItems(storeId, mode,
                rows.stream().map(BatchWriter.Row::value).toList(), c).subscribeAsCompletionStage());
    }
}
