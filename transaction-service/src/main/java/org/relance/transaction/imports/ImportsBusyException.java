package org.relance.transaction.imports;

/** As many imports as configured run already; the caller may retry later. */
public final class ImportsBusyException extends RuntimeException {
    public ImportsBusyException(int running) {
        super(running + " imports are running, the most this server runs at once; retry later", null, false, false);
    }
}
