package org.relance.cart.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Settings of the cart service ({@code relance.cart.*}, environment {@code RELANCE_CART_*}). */
@ConfigMapping(prefix = "relance.cart")
public interface CartConfig {

    /** How often the abandonment sweeper runs ({@code off} to disable). */
    @WithDefault("15s")
    String sweepInterval();

    /** Carts marked abandoned per sweeper transaction. */
    @WithDefault("20000")
    int sweepChunk();

    /** How often retention purges old carts ({@code off} to disable). */
    @WithDefault("10m")
    String purgeInterval();

    /** Carts purged per transaction. */
    @WithDefault("5000")
    int purgeChunk();

    /** Most submits written in one group-commit transaction. */
    @WithDefault("200")
    int maxSubmitBatch();

    /**
     * Group-commit transactions in flight at once. One measured best so far: a run with two made
     * smaller batches waiting on each other's locks (1,880 submits/s against 2,945 with one, on a
     * machine not fully quiet).
     */
    @WithDefault("1")
    int submitWriters();

    /** Creates the demo store and site at start-up (the local run does). */
    Demo demo();

    interface Demo {
        /** Whether to create them. */
        @WithDefault("false")
        boolean enabled();

        /** The demo site's public key. */
        @WithDefault("pk_demo_relance")
        String siteKey();

        /** Origins the demo site accepts calls from. */
        @WithDefault("http://localhost:8080,http://127.0.0.1:8080")
        java.util.List<String> allowedOrigins();
    }
}
