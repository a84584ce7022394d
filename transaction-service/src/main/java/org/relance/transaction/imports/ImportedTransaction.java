package org.relance.transaction.imports;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * A row of a transactions file, checked against seed 000's limits: ids and texts at most 500
 * characters ({@code contactId} and {@code visitorId} at most 200), amounts exact, not negative,
 * {@code currencyCode} an ISO 4217 code (the row's, else the import's default, else the store's),
 * {@code occurTime} in microseconds. Absent optional values are {@code null}; {@code contactId} is
 * present in {@link ImportKeyMode#CONTACT} mode.
 *
 * @param line line of the file where the row starts, for {@link RowRejection}s
 */
public record ImportedTransaction(long line, String transactionId, String cartId, String contactId, String visitorId,
                                  String affiliation, String currencyCode, BigDecimal revenue, BigDecimal tax,
                                  BigDecimal shipping, Instant occurTime) {
}
