package org.relance.deploy;

import java.util.List;

/** The suite cannot start or go on; the message says why in the user's words. */
final class SuiteException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient List<String> logTail;

    SuiteException(String message) {
        this(message, List.of(), null);
    }

    SuiteException(String message, List<String> logTail) {
        this(message, logTail, null);
    }

    SuiteException(String message, List<String> logTail, Throwable cause) {
        super(message, cause);
        this.logTail = List.copyOf(logTail);
    }

    /** The last lines of the log that explains the failure, if any. */
    List<String> logTail() {
        return logTail;
    }
}
