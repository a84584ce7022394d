package org.relance.transaction.imports;

import java.util.List;

/**
 * The outcome of an import.
 *
 * @param rejections   the first rejections, in file order, at most the number asked for
 * @param applied      false when all-or-nothing was asked and a row was rejected: nothing changed
 * @param stoppedEarly the file could not be read to its end; the last rejection says where
 */
public record ImportSummary(long rowCount, long inserted, long updated, long unchanged, long rejected,
                            List<RowRejection> rejections, boolean applied, boolean stoppedEarly) {
    public ImportSummary {
        rejections = List.copyOf(rejections);
    }
}
