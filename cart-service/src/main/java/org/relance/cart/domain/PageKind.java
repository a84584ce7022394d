package org.relance.cart.domain;

/** What a page view is for the site's URL journey. */
public enum PageKind {
    /** Neither the cart page nor the thank-you page. */
    OTHER,
    /** Matched the site's cart-page pattern. */
    CART,
    /** Matched the site's thank-you page pattern. */
    THANK_YOU;

    /** Classifies a normalised URL with a site's patterns (thank-you first when both match). */
    public static PageKind of(Site site, String normalizedUrl) {
        if (!site.hasUrlJourney()) {
            return OTHER;
        }
        if (org.relance.kit.url.UrlPattern.parse(site.thankYouPagePattern()).matches(normalizedUrl)) {
            return THANK_YOU;
        }
        if (org.relance.kit.url.UrlPattern.parse(site.cartPagePattern()).matches(normalizedUrl)) {
            return CART;
        }
        return OTHER;
    }
}
