package org.relance.edge.rejections;

import java.time.Instant;

/**
 * A browser event the edge refused, as stored.
 *
 * @param siteKey       the key in the URL (as given, cut to 200 characters)
 * @param siteId        the site, empty when the key named none
 * @param storeId       the site's store, empty when the key named none
 * @param submitId      the refused submit's id, null for a whole batch
 * @param kind          what was refused: batch, cart, transaction, identify, contact_token, script
 * @param reason        a stable code (see {@link Reasons})
 * @param field         the offending field, JSON-path-like ({@code submits[0].calls[1].args.quantity}), or null
 * @param message       what is wrong, for people
 * @param httpStatus    what the edge answered for it
 * @param origin        the request's Origin header, or null
 * @param clientAddress the caller's address
 * @param payload       the refused JSON (at most 4 KB of it), or null
 * @param payloadBytes  its full size
 * @param receiveTime   when it arrived
 */
public record Rejection(String siteKey, String siteId, String storeId, String submitId, String kind, String reason,
                        String field, String message, int httpStatus, String origin, String clientAddress, String payload,
                        int payloadBytes, Instant receiveTime) {

    /** What is kept of a refused payload. */
    public static final int PAYLOAD_KEPT = 4096;

    public Rejection {
        siteKey = cut(siteKey, 200);
        siteId = siteId == null ? "" : siteId;
        storeId = storeId == null ? "" : storeId;
        submitId = cut(submitId, 200);
        field = cut(field, 300);
        message = cut(message, 1000);
        origin = cut(origin, 300);
        payload = cut(payload, PAYLOAD_KEPT);
    }

    /** The key of repeats that may be stored as one row. */
    String coalesceKey() {
        return siteKey + '\u0000' + clientAddress + '\u0000' + reason + '\u0000' + origin;
    }

    private static String cut(String s, int max) {
        if (s == null) {
            return null;
        }
        // PostgreSQL text cannot hold NUL; a refused payload may contain it.
        String clean = s.indexOf('\u0000') >= 0 ? s.replace('\u0000', '\uFFFD') : s;
        if (clean.length() <= max) {
            return clean;
        }
        int end = max;
        if (Character.isHighSurrogate(clean.charAt(end - 1))) {
            end--;
        }
        return clean.substring(0, end);
    }
}
