package org.relance.cart.domain;

import java.time.Instant;
import java.util.List;

/** What a submit did: the carts it touched, in order, and when it was first applied. */
public record SubmitResult(String submitId, List<String> cartIds, Instant applyTime) {
    public SubmitResult {
        cartIds = List.copyOf(cartIds);
    }
}
