package org.relance.transaction.imports;

import static java.util.Objects.requireNonNull;

/**
 * Why a row of the file was rejected.
 *
 * @param line   line of the file where the row starts, 1-based (the header row is line 1)
 * @param column the column at fault: a field name when a {@link TransactionImportTarget} reports it
 *               (the importer turns it into the file's header name), empty for the whole row
 * @param reason what is wrong, in words
 */
public record RowRejection(long line, String column, String reason) {
    public RowRejection {
        requireNonNull(column, "column");
        requireNonNull(reason, "reason");
    }
}
