package org.relance.kit.error;

/** An identifier is taken, or a request id was reused with different content. */
public final class AlreadyExistsException extends RelanceException {
    public AlreadyExistsException(String message) {
        super(message);
    }
}
