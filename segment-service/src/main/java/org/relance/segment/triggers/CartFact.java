package org.relance.segment.triggers;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/** A cart as the segment service's facts describe it (the cart event stream's latest word on it). */
public record CartFact(String storeId, String cartId, String siteId, String contactId, int state, String status, BigDecimal total,
                       String currencyCode, List<Item> items, int episode, Instant updateTime, Instant abandonTime,
                       Instant convertTime) {
    /** cart_fact.state values. */
    public static final int ACTIVE = 1;
    public static final int ABANDONED = 2;
    public static final int CONVERTED = 3;

    /** One line of the cart. */
    public record Item(String productId, String productName, String category, String categoryId, BigDecimal unitPrice,
                       int quantity) {
    }

    public CartFact {
        items = List.copyOf(items);
    }
}
