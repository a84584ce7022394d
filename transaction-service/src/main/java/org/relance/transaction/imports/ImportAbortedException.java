package org.relance.transaction.imports;

import java.io.IOException;

/** The file stopped arriving: the caller cancelled, failed, or sent nothing for too long. */
public final class ImportAbortedException extends IOException {
    public ImportAbortedException(String message, Throwable cause) {
        super(message, cause);
    }
}
