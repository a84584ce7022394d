package org.relance.transaction.imports;

/** Receives what a running import reports; called from the import's worker thread. */
public interface ImportListener {

    /** A progress report (every {@code progress_interval} rows). */
    void progress(ImportProgress progress);

    /** The import finished and what it applied is committed; nothing follows. */
    void completed(ImportSummary summary);

    /** The import failed (nothing of it is committed with all-or-nothing); nothing follows. */
    void failed(Throwable failure);
}
