package org.relance.transaction.imports;

import java.time.ZoneId;

/**
 * Turns a data row into the record of one kind, checked with the same rules as the gRPC calls.
 *
 * @param <T> the record
 */
public interface RowReader<T> {

    /** The row's record, or {@code null} when the row has problems (recorded on the row). */
    T read(CsvRow row);

    /** The record's key: two rows with equal keys never go to the database in the same statement. */
    Object key(T record);

    /**
     * What every row of an import shares.
     *
     * @param currencyCode the currency of rows that give none (the import's default, else the store's)
     * @param zone         the store's time zone, for times written without an offset
     */
    record Context(String storeId, String currencyCode, ZoneId zone, char decimalSeparator, ImportKeyMode keyMode) {
    }
}
