package org.relance.transaction.imports;

import java.util.List;

/**
 * What writing one batch of imported rows did. Every row of the batch is counted once: inserted,
 * updated, unchanged, or rejected (at least one {@link RowRejection} with its line; a rejected row
 * is not written).
 */
public record BatchResult(long inserted, long updated, long unchanged, List<RowRejection> rejections) {
    public BatchResult {
        rejections = List.copyOf(rejections);
    }
}
