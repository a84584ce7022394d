package org.relance.transaction.imports;

import java.math.BigDecimal;

/**
 * A row of a transaction items file, checked against seed 000's limits: ids, names and categories
 * at most 500 characters ({@code contactId} at most 200), prices exact and not negative,
 * {@code quantity} from 1 to 1,000,000. Absent optional values are {@code null};
 * {@code contactId} is present in {@link ImportKeyMode#CONTACT} mode.
 *
 * @param line line of the file where the row starts, for {@link RowRejection}s
 */
public record ImportedItem(long line, String transactionId, String contactId, String productId, String productName,
                           String category, String categoryId, BigDecimal unitPrice, BigDecimal totalPrice,
                           int quantity) {
}
