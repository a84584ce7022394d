package org.relance.cart.domain;

import org.relance.kit.url.UrlPattern;

/** What a page view is for the site's URL journey. */
public enum PageKind {
    /** Neither the cart page nor the thank-you page. */
    OTHER,
    /** Matched the site's cart-page pattern. */
    CART,
    /** Matched the site's thank-you page pattern. */
    THANK_YOU;

    /** Compiled patterns of the sites seen (a few per site; cleared if sites churn through thousands). */
    private static final java.util.Map<String, UrlPattern> COMPILED = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_COMPILED = 1_000;

    /** Classifies a normalised URL with a site's patterns (thank-you first when both match). */
    public static PageKind of(Site site, String normalizedUrl) {
        if (!site.hasUrlJourney()) {
            return OTHER;
        }
        if (compiled(site.thankYouPagePattern()).matches(normalizedUrl)) {
            return THANK_YOU;
        }
        if (compiled(site.cartPagePattern()).matches(normalizedUrl)) {
            return CART;
        }
        return OTHER;
    }

    private static UrlPattern compiled(String text) {
        if (COMPILED.size() > MAX_COMPILED) {
            COMPILED.clear();
        }
        return COMPILED.computeIfAbsent(text, UrlPattern::parse);
    }
}
