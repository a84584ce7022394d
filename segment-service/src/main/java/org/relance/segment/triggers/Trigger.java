package org.relance.segment.triggers;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * An abandoned-cart trigger: which carts it watches (store, products, name, categories, value),
 * when it fires (wait after the abandonment, follow-ups), who must also match (a segment
 * condition, kept as its proto bytes and compiled when used), when not to send (quiet hours) and
 * where notifications go.
 *
 * @param storeId       the store watched; empty for every store
 * @param condition     serialized {@code relance.segment.v1.SegmentCondition}, or null
 * @param activeSince   creation or last resume: carts whose wait ended before it are not notified
 */
public record Trigger(String triggerId, String storeId, String displayName, boolean active, List<String> productIds,
                      String productNameContains, List<String> categoryIds, BigDecimal minValue, BigDecimal maxValue,
                      String valueCurrency, Duration waitTime, List<Duration> followUpWaits, byte[] condition,
                      QuietHours quietHours, Webhook webhook, Instant activeSince, Instant createTime, Instant updateTime) {

    /** Where notifications go: a signed webhook. The secret is sealed, or named in the configuration. */
    public record Webhook(String url, String sealedSecret, String secretRef, Duration timeout) {
    }

    public Trigger {
        productIds = List.copyOf(productIds);
        categoryIds = List.copyOf(categoryIds);
        followUpWaits = List.copyOf(followUpWaits);
    }

    /** Number of notifications an episode can get: the first one and the follow-ups. */
    public int steps() {
        return 1 + followUpWaits.size();
    }

    /** Time from the abandonment to each step's due time (step 1 first). */
    public List<Duration> offsets() {
        List<Duration> offsets = new ArrayList<>();
        Duration total = waitTime;
        offsets.add(total);
        for (Duration d : followUpWaits) {
            total = total.plus(d);
            offsets.add(total);
        }
        return offsets;
    }
}
