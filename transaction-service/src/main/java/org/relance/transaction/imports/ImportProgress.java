package org.relance.transaction.imports;

/** How far a running import is: rows read and bytes received so far, and what was written. */
public record ImportProgress(long rowCount, long byteCount, long inserted, long updated, long unchanged, long rejected) {
}
