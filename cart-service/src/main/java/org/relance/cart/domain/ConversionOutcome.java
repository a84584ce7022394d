package org.relance.cart.domain;

/** What a conversion found; {@code code} is what the database stores. */
public enum ConversionOutcome {
    /** An active cart was bought. */
    CONVERTED(1),
    /** An abandoned cart was bought. */
    RECOVERED(2),
    /** The transaction named a cart that was never tracked (or was purged). */
    UNTRACKED(3);

    private final int code;

    ConversionOutcome(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static ConversionOutcome ofCode(int code) {
        for (ConversionOutcome o : values()) {
            if (o.code == code) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown conversion outcome " + code);
    }
}
