package org.relance.cart.domain;

/** How a cart is tracked; {@code code} is what the database stores. */
public enum CartSource {
    /** Cart calls: the tracker's AddCart..., or SubmitCart from a back end. */
    CALLS(1),
    /** Page addresses alone: the visitor reached the site's cart page (seed 004). */
    URL(2);

    private final int code;

    CartSource(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static CartSource ofCode(int code) {
        return code == URL.code ? URL : CALLS;
    }
}
