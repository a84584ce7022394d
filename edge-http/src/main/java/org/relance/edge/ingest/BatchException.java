package org.relance.edge.ingest;

/** A whole batch refused: its HTTP status, reason code, offending field and message. */
public final class BatchException extends RuntimeException {
    private final int status;
    private final String reason;
    private final String field;

    public BatchException(int status, String reason, String field, String message) {
        super(message, null, false, false);
        this.status = status;
        this.reason = reason;
        this.field = field;
    }

    public int status() {
        return status;
    }

    public String reason() {
        return reason;
    }

    public String field() {
        return field;
    }
}
