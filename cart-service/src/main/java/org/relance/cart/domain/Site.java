package org.relance.cart.domain;

import java.time.Instant;
import java.util.List;

/** A web site of a store, named in the tracker URL by its public key. */
public record Site(String siteId, String storeId, String displayName, String siteKey, List<String> allowedOrigins,
                   TrackingMode trackingMode, String restoreUrl, Instant createTime, Instant updateTime) {
    public Site {
        allowedOrigins = List.copyOf(allowedOrigins);
        restoreUrl = restoreUrl == null ? "" : restoreUrl;
    }
}
