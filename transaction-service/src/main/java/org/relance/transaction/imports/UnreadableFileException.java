package org.relance.transaction.imports;

/** The file cannot be read past a row: broken quoting, bytes that are not UTF-8, a row too long. */
public final class UnreadableFileException extends Exception {
    private final long line;

    public UnreadableFileException(long line, String reason) {
        super(reason, null, false, false);
        this.line = line;
    }

    /** Line of the file where the unreadable row starts. */
    public long line() {
        return line;
    }
}
