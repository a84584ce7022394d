package org.relance.cart.domain;

import java.math.BigDecimal;

import static java.util.Objects.requireNonNull;

/** One product line of a cart. {@code category} and {@code categoryId} may be null. */
public record CartItem(String productId, String productName, String category, String categoryId,
                       BigDecimal unitPrice, int quantity) {
    public CartItem {
        requireNonNull(productId, "productId");
        requireNonNull(productName, "productName");
        requireNonNull(unitPrice, "unitPrice");
    }
}
