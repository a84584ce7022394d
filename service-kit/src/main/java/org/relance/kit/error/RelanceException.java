package org.relance.kit.error;

/**
 * A failure whose message is written for the caller. Its subclasses say which kind it is;
 * the gRPC and HTTP layers map each kind to one status. Anything that is not a
 * {@code RelanceException} is an internal failure and its message never reaches a caller.
 */
public abstract sealed class RelanceException extends RuntimeException
        permits InvalidArgumentException, NotFoundException, AlreadyExistsException, RuleViolationException {

    protected RelanceException(String message) {
        super(message, null, false, false);
    }
}
