package org.relance.segment.notifications;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** {@code relance.segment.notifications.*}: how triggers are evaluated and notifications delivered. */
@ConfigMapping(prefix = "relance.segment.notifications")
public interface NotificationConfig {
    /** Whether this replica claims and delivers notifications (the RPCs work either way). */
    @WithDefault("true")
    boolean enabled();

    /** Time between two rounds when the previous one found nothing more to do. */
    @WithDefault("1s")
    Duration pollInterval();

    /** Deliveries leased per round. */
    @WithDefault("200")
    int batchSize();

    /**
     * Claims per trigger when a round claims. A claim reads every due cart of the trigger, so it
     * is run only when fewer than two batches of notifications are waiting, and then claims this
     * many at once (the benchmark's 100,000 due carts: one claim every ten rounds, not every round).
     */
    @WithDefault("2000")
    int claimBatchSize();

    /** Deliveries in flight at once on this replica. */
    @WithDefault("16")
    int concurrency();

    /** Default time allowed for one webhook attempt (a trigger may set its own, up to 60 s). */
    @WithDefault("10s")
    Duration webhookTimeout();

    /** Shortest trigger wait accepted (1 minute; tests and demos lower it). */
    @WithDefault("1m")
    Duration minimumWait();

    /** How long after a delivered notification a purchase of its cart is attributed to it. */
    @WithDefault("5d")
    Duration attributionWindow();

    /** Lifetime of the restore links in payloads. */
    @WithDefault("30d")
    Duration linkLifetime();

    /** Link secret shared with the edge (RELANCE_LINK_SECRET); a development default when unset. */
    Optional<String> linkSecret();

    /** Public base URL of the edge, for restore links (RELANCE_EDGE_PUBLIC_URL). */
    @WithDefault("http://localhost:8080")
    String edgePublicUrl();

    Retry retry();

    /** Retries of a delivery: exponential back-off with jitter, Retry-After honoured, for at most max-age. */
    interface Retry {
        @WithDefault("10s")
        Duration initialBackoff();

        @WithDefault("1h")
        Duration maxBackoff();

        /** Fraction of each back-off drawn at random (0.2: ±20 %). */
        @WithDefault("0.2")
        double jitter();

        /** After this long since the first attempt, a failing delivery fails for good. */
        @WithDefault("24h")
        Duration maxAge();
    }
}
