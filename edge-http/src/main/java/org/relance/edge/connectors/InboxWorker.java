package org.relance.edge.connectors;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import io.micrometer.core.instrument.MeterRegistry;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.relance.edge.rejections.Rejection;
import org.relance.edge.rejections.RejectionLog;

/**
 * Applies the inbox: takes due deliveries ({@code FOR UPDATE SKIP LOCKED}, so several edge replicas
 * share the work), applies them one after the other in arrival order, and records how each ended.
 * A failure that says nothing about the webhook (a service down, a deadline) is tried again with a
 * doubling pause; after {@code relance.connectors.max-attempts} it is marked failed with its reason
 * (an admin can put it back, see ConnectorRoutes). Woken at once when a webhook is accepted, and
 * every poll interval for the retries.
 */
@Singleton
public class InboxWorker {
    private static final Logger LOG = Logger.getLogger(InboxWorker.class);
    private static final int BATCH = 20;
    private static final Duration PURGE_EVERY = Duration.ofMinutes(10);

    private final ConnectorStore store;
    private final WebhookApplier applier;
    private final RejectionLog rejections;
    private final Vertx vertx;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Duration pollInterval;
    private final Duration lease;
    private final Duration backoff;
    private final Duration maxBackoff;
    private final int maxAttempts;
    private final Duration retention;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean wanted = new AtomicBoolean();
    private volatile long timer = -1;
    private volatile Instant lastPurge = Instant.EPOCH;

    public InboxWorker(ConnectorStore store, WebhookApplier applier, RejectionLog rejections, Vertx vertx, Clock clock,
                       MeterRegistry meters,
                       @ConfigProperty(name = "relance.connectors.poll-interval", defaultValue = "2s") Duration pollInterval,
                       @ConfigProperty(name = "relance.connectors.lease", defaultValue = "2m") Duration lease,
                       @ConfigProperty(name = "relance.connectors.retry-backoff", defaultValue = "1s") Duration backoff,
                       @ConfigProperty(name = "relance.connectors.max-backoff", defaultValue = "10m") Duration maxBackoff,
                       @ConfigProperty(name = "relance.connectors.max-attempts", defaultValue = "60") int maxAttempts,
                       @ConfigProperty(name = "relance.connectors.retention", defaultValue = "P15D") Duration retention) {
        this.store = store;
        this.applier = applier;
        this.rejections = rejections;
        this.vertx = vertx;
        this.clock = clock;
        this.meters = meters;
        this.pollInterval = pollInterval;
        this.lease = lease;
        this.backoff = backoff;
        this.maxBackoff = maxBackoff;
        this.maxAttempts = Math.max(1, maxAttempts);
        this.retention = retention;
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(Math.max(100, pollInterval.toMillis()), id -> wake());
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Asks for a pass now (a webhook was just accepted); a pass under way makes one more. */
    public void wake() {
        wanted.set(true);
        if (running.compareAndSet(false, true)) {
            wanted.set(false);
            pass();
        }
    }

    private void pass() {
        Instant now = clock.instant();
        store.claim(now, now.plus(lease), BATCH)
                .chain(claimed -> applyAll(claimed).replaceWith(claimed.size()))
                .chain(n -> purgeIfDue(now).replaceWith(n))
                .subscribe().with(n -> next(n >= BATCH), failure -> {
                    LOG.warnf("connector inbox pass failed: %s", failure.toString());
                    next(false);
                });
    }

    private void next(boolean more) {
        if (more || wanted.getAndSet(false)) {
            pass();
            return;
        }
        running.set(false);
        // A wake() between the check and the flag would otherwise wait for the timer.
        if (wanted.get() && running.compareAndSet(false, true)) {
            wanted.set(false);
            pass();
        }
    }

    private Uni<Void> applyAll(List<Delivery> claimed) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (Delivery d : claimed) {
            chain = chain.chain(() -> applier.apply(d)
                    .onFailure().recoverWithItem(WebhookApplier.Result::retryAfter)
                    .chain(result -> record(d, result)))
                    // One delivery's bookkeeping failing must not stop the others; its lease brings it back.
                    .onFailure().recoverWithUni(f -> {
                        LOG.warnf("delivery %d not recorded: %s", d.inboxId(), f.toString());
                        return Uni.createFrom().voidItem();
                    });
        }
        return chain;
    }

    private Uni<Void> record(Delivery d, WebhookApplier.Result result) {
        Instant now = clock.instant();
        if (result.retryLater()) {
            if (d.attempts() >= maxAttempts) {
                count(d, Delivery.FAILED);
                LOG.warnf("%s delivery %s failed after %d attempts: %s", d.platform().path(), d.deliveryId(), d.attempts(), result.detail());
                return store.finish(d.inboxId(), Delivery.FAILED, result.outcome(),
                        "gave up after " + d.attempts() + " attempts: " + result.detail(), now);
            }
            return store.retryAt(d.inboxId(), now.plus(pause(d.attempts())), result.outcome(), result.detail());
        }
        count(d, result.state());
        Uni<Void> finished = store.finish(d.inboxId(), result.state(), result.outcome(), result.detail(), now);
        if (!Delivery.REFUSED.equals(result.state())) {
            return finished;
        }
        // A refusal is also where operators look for refused events, with the tracker's.
        String payload = new String(d.payload(), 0, Math.min(d.payload().length, Rejection.PAYLOAD_KEPT), StandardCharsets.UTF_8);
        return finished.chain(() -> rejections.record(List.of(new Rejection(d.siteKey(), d.siteId(), d.storeId(), d.deliveryId(),
                d.platform().rejectionKind(), result.outcome(), null, d.topic() + ": " + result.detail(), 200, null, "", payload,
                d.payload().length, now))));
    }

    /** The pause after attempt {@code n}: the back-off doubled n-1 times, at most the maximum, jittered ±20 %. */
    Duration pause(int attempt) {
        long base = backoff.toMillis();
        long millis = attempt >= 30 ? maxBackoff.toMillis() : Math.min(maxBackoff.toMillis(), base << Math.max(0, attempt - 1));
        double jitter = 0.8 + ThreadLocalRandom.current().nextDouble() * 0.4;
        return Duration.ofMillis(Math.max(1, (long) (millis * jitter)));
    }

    private Uni<Void> purgeIfDue(Instant now) {
        if (Duration.between(lastPurge, now).compareTo(PURGE_EVERY) < 0) {
            return Uni.createFrom().voidItem();
        }
        lastPurge = now;
        return store.purge(now.minus(retention)).invoke(n -> {
            if (n > 0) {
                LOG.infof("purged %d finished webhook deliveries older than %s", n, retention);
            }
        }).replaceWithVoid();
    }

    private void count(Delivery d, String state) {
        meters.counter("relance.edge.connector.deliveries", "platform", d.platform().path(), "state", state).increment();
    }
}
