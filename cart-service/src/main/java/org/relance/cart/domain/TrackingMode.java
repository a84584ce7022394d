package org.relance.cart.domain;

/** What a site's tracker records (seed 000, Activation); {@code code} is what the database stores. */
public enum TrackingMode {
    TRANSACTIONS_ONLY(1), CARTS_AND_TRANSACTIONS(2);

    private final int code;

    TrackingMode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static TrackingMode ofCode(int code) {
        for (TrackingMode m : values()) {
            if (m.code == code) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown tracking mode " + code);
    }
}
