package org.relance.kit.error;

/** The store, site, cart, contact or trigger named does not exist. */
public final class NotFoundException extends RelanceException {
    public NotFoundException(String message) {
        super(message);
    }
}
