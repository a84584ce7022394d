package org.relance.edge.rejections;

/** The stable reason codes of refusals (stored, counted, and answered in error bodies). */
public final class Reasons {
    /** The body is not JSON, or not a batch. */
    public static final String MALFORMED_BATCH = "MALFORMED_BATCH";
    /** The body is larger than the batch limit. */
    public static final String BATCH_TOO_LARGE = "BATCH_TOO_LARGE";
    /** One submit is larger than the submit limit. */
    public static final String SUBMIT_TOO_LARGE = "SUBMIT_TOO_LARGE";
    /** More submits than a batch may carry. */
    public static final String TOO_MANY_SUBMITS = "TOO_MANY_SUBMITS";
    /** A submit breaks a rule of the tracker API (missing or mistyped argument, limits). */
    public static final String INVALID_SUBMIT = "INVALID_SUBMIT";
    /** No site has the key. */
    public static final String UNKNOWN_SITE_KEY = "UNKNOWN_SITE_KEY";
    /** The page's origin is not one of the site's allowed origins. */
    public static final String ORIGIN_NOT_ALLOWED = "ORIGIN_NOT_ALLOWED";
    /** Too many requests for the key or the address. */
    public static final String RATE_LIMITED = "RATE_LIMITED";
    /** The site tracks transactions only, and a cart submit came. */
    public static final String CARTS_NOT_TRACKED = "CARTS_NOT_TRACKED";
    /** The contact token of a landing URL is forged, malformed, expired or for another store. */
    public static final String INVALID_CONTACT_TOKEN = "INVALID_CONTACT_TOKEN";
    /** The restore link is forged, malformed or expired. */
    public static final String INVALID_LINK = "INVALID_LINK";

    private Reasons() {
    }
}
