package org.relance.transaction.domain;

/** Kinds of transaction events; {@code code} is what the event log stores. */
public enum TransactionEventType {
    RECORDED(1), UPDATED(2), LINKED(3), CART_CONVERTED(4), ERASED(5);

    private final int code;

    TransactionEventType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static TransactionEventType ofCode(int code) {
        for (TransactionEventType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown transaction event type " + code);
    }
}
