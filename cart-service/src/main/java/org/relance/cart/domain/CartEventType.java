package org.relance.cart.domain;

/** Kinds of cart events; {@code code} is what the event log stores. */
public enum CartEventType {
    CREATED(1), CHANGED(2), ABANDONED(3), REOPENED(4), CONVERTED(5), LINKED(6), PURGED(7), ERASED(8);

    private final int code;

    CartEventType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static CartEventType ofCode(int code) {
        for (CartEventType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown cart event type " + code);
    }
}
