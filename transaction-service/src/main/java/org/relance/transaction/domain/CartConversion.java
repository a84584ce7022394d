package org.relance.transaction.domain;

/** Where a transaction's cart conversion stands; {@code code} is what the database stores. */
public enum CartConversion {
    /** The transaction named no cart (a purchase without a tracked cart). */
    NO_CART(1),
    /** Recorded; the cart service has not confirmed yet (it is retried until it does). */
    PENDING(2),
    /** The cart was active and is now closed. */
    CONVERTED(3),
    /** The cart had been abandoned: recovered. */
    RECOVERED(4),
    /** The cart service did not know the cart; it recorded it closed. */
    UNTRACKED(5);

    private final int code;

    CartConversion(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static CartConversion ofCode(int code) {
        for (CartConversion c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown cart conversion " + code);
    }
}
