package org.relance.kit.error;

import static java.util.Objects.requireNonNull;

/**
 * The request is well formed but contradicts the current state (a converted cart changed,
 * a product added twice). {@code reason} is a stable machine-readable word.
 */
public final class RuleViolationException extends RelanceException {
    private final String reason;

    public RuleViolationException(String reason, String message) {
        super(message);
        this.reason = requireNonNull(reason, "reason");
    }

    public String reason() {
        return reason;
    }
}
