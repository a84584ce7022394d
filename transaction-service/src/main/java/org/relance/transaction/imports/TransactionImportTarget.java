package org.relance.transaction.imports;

import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Uni;
import java.util.List;

/**
 * Where imported transactions and items go: implemented by the transaction code, which owns those
 * tables. Until a bean implements it, imports of those kinds answer FAILED_PRECONDITION.
 *
 * <p>The importer calls it from a worker thread, one batch at a time per import (never two at once
 * on the same connection), with rows that already passed the field checks of
 * {@link ImportedTransaction} / {@link ImportedItem}, in file order, with distinct keys within a
 * batch ({@code transactionId}; {@code (transactionId, productId)} for items). A later row with the
 * same key comes in a later batch and replaces the earlier one.
 *
 * <p>{@code c} is inside a transaction the importer opened: the implementation writes through it and
 * never commits, rolls back or closes it (savepoints are fine). With all-or-nothing the whole file
 * shares one transaction; otherwise each batch has its own. A row that breaks a rule (an item of an
 * unknown transaction, a key owned by another contact in {@link ImportKeyMode#CONTACT} mode, an
 * erased contact) is left out and reported in {@link BatchResult#rejections()} with its line; a
 * failed {@code Uni} fails the whole import.
 */
public interface TransactionImportTarget {

    /** Inserts or updates the transactions of {@code storeId}, matched according to {@code mode}. */
    Uni<BatchResult> writeTransactions(String storeId, ImportKeyMode mode, List<ImportedTransaction> rows, Connection c);

    /** Inserts or updates the items of {@code storeId}, matched according to {@code mode}. */
    Uni<BatchResult> writeItems(String storeId, ImportKeyMode mode, List<ImportedItem> rows, Connection c);
}
