package org.relance.transaction.domain;

import java.math.BigDecimal;

/** One product line of a transaction (seed 000's AddItem). {@code category}, {@code categoryId} may be null. */
public record TransactionItem(String productId, String productName, String category, String categoryId,
                              BigDecimal unitPrice, BigDecimal totalPrice, int quantity) {
}
