package org.relance.segment.triggers;

/** Why a notification was not sent; the numbers are those of the proto's SkipReason and of the table. */
public enum SkipReason {
    NONE(0), NO_CONSENT(1), CONVERTED(2), REOPENED(3), QUIET_HOURS(4), SUPPRESSED(5), NO_EMAIL(6), CONTACT_PURCHASED(7),
    CONDITION_NOT_MET(8), TRIGGER_PAUSED(9), TRIGGER_DELETED(10), CART_PURGED(11);

    private final int code;

    SkipReason(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static SkipReason of(int code) {
        for (SkipReason r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        return NONE;
    }
}
