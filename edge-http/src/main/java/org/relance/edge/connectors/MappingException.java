package org.relance.edge.connectors;

/** A payload that cannot mean anything to Relance (not JSON, a required field missing): retrying cannot help. */
public final class MappingException extends RuntimeException {
    private final String reason;

    public MappingException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** A stable code ({@code INVALID_PAYLOAD}). */
    public String reason() {
        return reason;
    }
}
