package org.relance.cart.domain;

import java.math.BigDecimal;

/**
 * One cart call of the tracker API (seed 000). Optional fields are {@code null} when absent;
 * amounts are in the store's currency.
 */
public sealed interface CartOperation {

    /** idCart of the cart the call changes. */
    String cartId();

    /** AddCart: creates the cart; on an existing cart, sets the fields given. */
    record AddCart(String cartId, String status, BigDecimal totalPrice) implements CartOperation {
    }

    /** UpdateCart: sets status and/or TotalPrice. */
    record UpdateCart(String cartId, String status, BigDecimal totalPrice) implements CartOperation {
    }

    /** AddCartItem: adds a product that is not in the cart yet. */
    record AddCartItem(String cartId, String productId, String productName, String category, String categoryId,
                       BigDecimal unitPrice, int quantity) implements CartOperation {
    }

    /** UpdateCartItem: changes the fields given of a product line (adds it when complete and absent). */
    record UpdateCartItem(String cartId, String productId, String productName, String category, String categoryId,
                          BigDecimal unitPrice, Integer quantity) implements CartOperation {
    }

    /** RemoveCartItem: removes a product line, if there. */
    record RemoveCartItem(String cartId, String productId) implements CartOperation {
    }

    /** ClearCart: removes every product line. */
    record ClearCart(String cartId) implements CartOperation {
    }
}
