package org.relance.transaction.imports;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** CSV import settings ({@code relance.import.*}, environment {@code RELANCE_IMPORT_*}). */
@ConfigMapping(prefix = "relance.import")
public interface ImportConfig {

    /** Rows written per multi-row statement (and per transaction without all-or-nothing). */
    @WithDefault("1000")
    int batchSize();

    /** Imports running at once; one more is refused with RESOURCE_EXHAUSTED. */
    @WithDefault("2")
    int maxConcurrent();

    /** File chunks received ahead of the parser; with chunks of at most 1 MiB, the memory an import holds. */
    @WithDefault("4")
    int bufferedChunks();

    /** Longest row, in characters; a longer one (an unclosed quote, say) stops the import. */
    @WithDefault("1000000")
    int maxRowLength();

    /** An import whose caller sends nothing for this long is abandoned. */
    @WithDefault("PT5M")
    Duration idleTimeout();
}
