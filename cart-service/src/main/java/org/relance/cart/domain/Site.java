package org.relance.cart.domain;

import java.time.Instant;
import java.util.List;

/** A web site of a store, named in the tracker URL by its public key. */
public record Site(String siteId, String storeId, String displayName, String siteKey, List<String> allowedOrigins,
                   TrackingMode trackingMode, String restoreUrl, boolean pageViewsDisabled, String cartPagePattern,
                   String thankYouPagePattern, Instant createTime, Instant updateTime) {
    public Site {
        allowedOrigins = List.copyOf(allowedOrigins);
        restoreUrl = restoreUrl == null ? "" : restoreUrl;
        cartPagePattern = cartPagePattern == null ? "" : cartPagePattern;
        thankYouPagePattern = thankYouPagePattern == null ? "" : thankYouPagePattern;
    }

    /** True when the site has a URL journey (both patterns set). */
    public boolean hasUrlJourney() {
        return !cartPagePattern.isEmpty() && !thankYouPagePattern.isEmpty();
    }
}
