package org.relance.cart.domain;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/** One entry of the cart event log: the cart as it was after the change. */
public record CartEvent(long sequence, CartEventType type, Instant occurTime, Cart cart) {
    public CartEvent {
        requireNonNull(type, "type");
        requireNonNull(occurTime, "occurTime");
        requireNonNull(cart, "cart");
    }
}
