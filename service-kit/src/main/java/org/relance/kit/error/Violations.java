package org.relance.kit.error;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects every problem of a request so that the caller learns all of them at once; the
 * request is refused with {@link #throwIfAny()} before anything changes.
 */
public final class Violations {
    private final List<FieldViolation> found = new ArrayList<>();

    public void add(String field, String description) {
        found.add(new FieldViolation(field, description));
    }

    public boolean isEmpty() {
        return found.isEmpty();
    }

    /** Checks a required text: present, at most {@code max} characters, no NUL character. */
    public void requireText(String field, String value, int max) {
        if (value == null || value.isEmpty()) {
            add(field, "is required");
        } else {
            optionalText(field, value, max);
        }
    }

    /** Checks an optional text (null or empty allowed): at most {@code max} characters, no NUL. */
    public void optionalText(String field, String value, int max) {
        if (value == null) {
            return;
        }
        if (value.length() > max) {
            add(field, "must be at most " + max + " characters (got " + value.length() + ")");
        } else if (value.indexOf('\u0000') >= 0) {
            add(field, "must not contain the NUL character");
        }
    }

    /** Checks an amount: present when {@code required}, not negative, at most {@code max}. */
    public void amount(String field, BigDecimal value, boolean required, BigDecimal max) {
        if (value == null) {
            if (required) {
                add(field, "is required");
            }
            return;
        }
        if (value.signum() < 0) {
            add(field, "must not be negative");
        } else if (value.compareTo(max) > 0) {
            add(field, "must be at most " + max.toPlainString());
        }
    }

    /** The refusal listing everything found (call only when something was). */
    public InvalidArgumentException exception() {
        return new InvalidArgumentException(found);
    }

    /** Refuses the request when anything was found. */
    public void throwIfAny() {
        if (!found.isEmpty()) {
            throw new InvalidArgumentException(found);
        }
    }
}
