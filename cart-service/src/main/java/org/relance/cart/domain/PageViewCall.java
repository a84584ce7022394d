package org.relance.cart.domain;

import java.time.Instant;
import java.util.List;

import static java.util.Objects.requireNonNull;

/** One RecordPageViews call, validated: views of one visitor on one site, in the order seen. */
public record PageViewCall(String siteId, String visitorId, String contactId, List<View> views) {
    public PageViewCall {
        requireNonNull(siteId, "siteId");
        requireNonNull(visitorId, "visitorId");
        views = List.copyOf(views);
    }

    /** A view as given: normalised URL, and the browser's time (null: when recorded). */
    public record View(String viewId, String url, String referrer, String title, Instant viewTime) {
    }

    /** What the call did. */
    public record Result(int recorded, int repeated, List<String> cartIds, List<String> convertedCartIds) {
    }
}
