package org.relance.transaction.catalog.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Catalogue settings ({@code relance.catalog.*}, environment {@code RELANCE_CATALOG_*}). */
@ConfigMapping(prefix = "relance.catalog")
public interface CatalogConfig {

    /** How long request ids of upserts and imports are remembered (a retry within it is applied once). */
    @WithDefault("P7D")
    Duration requestRetention();

    /** How often forgotten request ids are deleted ({@code off} to disable). */
    @WithDefault("1h")
    String requestPurgeInterval();
}
