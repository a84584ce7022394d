package org.relance.cart.domain;

/** Lifecycle of a tracked cart; {@code code} is what the database stores. */
public enum CartState {
    ACTIVE(1), ABANDONED(2), CONVERTED(3);

    private final int code;

    CartState(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static CartState ofCode(int code) {
        for (CartState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown cart state " + code);
    }
}
