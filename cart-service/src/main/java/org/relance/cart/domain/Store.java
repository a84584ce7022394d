package org.relance.cart.domain;

import java.time.Duration;
import java.time.Instant;

/** A shop: currency, time zone, abandonment delay, cart and page-view retention, URL purchase window. */
public record Store(String storeId, String displayName, String currencyCode, String timeZone,
                   Duration abandonmentDelay, Duration cartRetention, Duration pageViewRetention,
                   Duration urlPurchaseWindow, Instant createTime, Instant updateTime) {
    /** DESIGN §5 and seed 003. */
    public static final Duration DEFAULT_ABANDONMENT_DELAY = Duration.ofMinutes(60);
    /** Seed 000: cart details are kept 15 days. */
    public static final Duration DEFAULT_CART_RETENTION = Duration.ofDays(15);
    /** Raw page views are kept 30 days (issue 10); the facts derived from them stay. */
    public static final Duration DEFAULT_PAGE_VIEW_RETENTION = Duration.ofDays(30);
    /** A thank-you page up to a day after the cart page is a purchase. */
    public static final Duration DEFAULT_URL_PURCHASE_WINDOW = Duration.ofHours(24);
}
