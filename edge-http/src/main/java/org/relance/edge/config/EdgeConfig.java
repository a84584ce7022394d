package org.relance.edge.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Settings of the edge ({@code relance.edge.*}, environment {@code RELANCE_EDGE_*}). */
@ConfigMapping(prefix = "relance.edge")
public interface EdgeConfig {

    /**
     * The edge's public base URL as browsers reach it ({@code https://t.shop.example}), written into
     * the tracker script; when empty, taken from each request's Host (and X-Forwarded-* when
     * {@code quarkus.http.proxy.proxy-address-forwarding} is on).
     */
    Optional<String> publicUrl();

    /** Bearer token of the JSON read API ({@code /api/v1}); the API answers 503 when unset. */
    Optional<String> adminToken();

    /**
     * HMAC secret of restore links and contact tokens, shared with the segment service
     * ({@code RELANCE_LINK_SECRET}); at least 16 characters. A development default is used, with a
     * warning, when unset.
     */
    @WithDefault("relance-dev-link-secret-change-me")
    String linkSecret();

    /** How long a contact token in a landing URL stays valid. */
    @WithDefault("P30D")
    Duration contactTokenLifetime();

    /** Largest batch body accepted (bytes). */
    @WithDefault("512000")
    int maxBatchBytes();

    /** Largest single submit (its JSON, bytes). */
    @WithDefault("32768")
    int maxSubmitBytes();

    /** Most submits in one batch. */
    @WithDefault("50")
    int maxSubmits();

    /** Rate limits (token buckets). */
    Limits limits();

    /** Calls toward the services. */
    Calls calls();

    /** How long a site read from the cart service is trusted before it is read again. */
    @WithDefault("30s")
    Duration siteCacheTtl();

    /**
     * Serves {@code POST /bench/noop}: reads the body like a batch and answers 204, the baseline
     * the benchmark measures the edge against (bench/run turns it on; off everywhere else).
     */
    @WithDefault("false")
    boolean benchEndpoint();

    /** The demo shop at /demo/ (the local run turns it on). */
    Demo demo();

    interface Demo {
        /** Whether /demo/ is served. */
        @WithDefault("false")
        boolean enabled();

        /** The demo site's key, written into the demo pages. */
        @WithDefault("pk_demo_relance")
        String siteKey();
    }

    interface Limits {
        /** Requests per second per site key (sustained). */
        @WithDefault("2000")
        double perSite();

        /** Burst per site key. */
        @WithDefault("4000")
        int perSiteBurst();

        /** Requests per second per client address (sustained). */
        @WithDefault("50")
        double perAddress();

        /** Burst per client address. */
        @WithDefault("100")
        int perAddressBurst();
    }

    interface Calls {
        /** Deadline of one call to a service. */
        @WithDefault("5s")
        Duration deadline();

        /** Further attempts after UNAVAILABLE (the calls are idempotent: submit ids, transaction ids). */
        @WithDefault("2")
        int retries();

        /** Pause before the first retry; doubled after each. */
        @WithDefault("100ms")
        Duration retryBackoff();
    }
}
