package org.relance.transaction.catalog.domain;

/** What a multi-row upsert did: rows inserted, rows changed, rows equal to what was stored. */
public record WriteCounts(long inserted, long updated, long unchanged) {
    public static final WriteCounts NONE = new WriteCounts(0, 0, 0);

    public WriteCounts plus(WriteCounts other) {
        return new WriteCounts(inserted + other.inserted, updated + other.updated, unchanged + other.unchanged);
    }
}
