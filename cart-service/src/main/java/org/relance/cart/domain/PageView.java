package org.relance.cart.domain;

import java.time.Instant;

/**
 * A recorded page view. {@code url} is normalised; {@code referrer}, {@code title} may be empty;
 * {@code contactId} is null while the visitor is anonymous.
 */
public record PageView(String viewId, String url, String referrer, String title, Instant viewTime,
                       String storeId, String siteId, String visitorId, String contactId, PageKind kind) {
}
