package org.relance.kit.db;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * Database settings of a service. Without {@code relance.db.url} the service starts its own
 * embedded PostgreSQL, keeping its data under {@code relance.db.embedded.data-dir}.
 */
@ConfigMapping(prefix = "relance.db")
public interface DatabaseConfig {

    /** {@code postgresql://host:port/database} of an external PostgreSQL; empty for the embedded one. */
    Optional<String> url();

    /** User name (external PostgreSQL). */
    @WithDefault("relance")
    String username();

    /** Password (external PostgreSQL). */
    Optional<String> password();

    /** Prepared statements cached per connection; bounded so that memory stays bounded. */
    @WithDefault("128")
    int statementCacheSize();

    /**
     * PostgreSQL's JIT compilation for the service's sessions. Off by default: the services run
     * short statements, and a plan whose estimated cost crosses the JIT thresholds (a trigger's
     * claim over many due carts) was measured spending most of its time compiling (BENCHMARKS.md).
     */
    @WithDefault("false")
    boolean jit();

    /** Embedded PostgreSQL settings. */
    Embedded embedded();

    /** Connection pool settings. */
    Pool pool();

    interface Embedded {
        /** Data folder, kept across restarts. */
        @WithDefault(".relance/data/${quarkus.application.name:service}")
        String dataDir();

        /** Port; 0 picks a free one. */
        @WithDefault("0")
        int port();
    }

    interface Pool {
        /** Connections opened at start-up; keep it below max-size (r2dbc-pool uses one connection when equal). */
        @WithDefault("2")
        int initialSize();

        /** Most connections open at once. */
        @WithDefault("10")
        int maxSize();

        /** How long a caller may wait for a connection before failing with UNAVAILABLE. */
        @WithDefault("PT10S")
        Duration acquireTimeout();

        /** Idle connections are closed after this. */
        @WithDefault("PT10M")
        Duration maxIdleTime();
    }
}
