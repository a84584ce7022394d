package org.relance.cart.domain;

import java.time.Duration;
import java.time.Instant;

/** A shop: currency, time zone, abandonment delay and cart retention. */
public record Store(String storeId, String displayName, String currencyCode, String timeZone,
                   Duration abandonmentDelay, Duration cartRetention, Instant createTime, Instant updateTime) {
    /** DESIGN §5 and seed 003. */
    public static final Duration DEFAULT_ABANDONMENT_DELAY = Duration.ofMinutes(60);
    /** Seed 000: cart details are kept 15 days. */
    public static final Duration DEFAULT_CART_RETENTION = Duration.ofDays(15);
}
