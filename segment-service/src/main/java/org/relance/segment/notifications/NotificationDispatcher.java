package org.relance.segment.notifications;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import org.relance.api.cart.v1.Store;
import org.relance.api.segment.v1.NotificationPayload;
import org.relance.kit.db.Reactive;
import org.relance.kit.time.Instants;
import org.relance.segment.domain.Condition;
import org.relance.segment.grpc.ConditionMapper;
import org.relance.segment.persistence.SegmentRepository;
import org.relance.segment.persistence.StoreCheck;
import org.relance.segment.triggers.CartFact;
import org.relance.segment.triggers.SkipReason;
import org.relance.segment.triggers.Trigger;
import org.relance.segment.triggers.TriggerChecks;
import org.relance.segment.triggers.TriggerRepository;

/**
 * The sending pipeline, one round at a time on every replica: claim what fell due for each
 * active trigger, cancel pending notifications overtaken by a purchase or a reopened cart, then
 * lease due notifications and deliver them. Inside the lease every send-time check runs again
 * (cart still abandoned in that episode, contact known, e-mail, consent, not suppressed, no later
 * purchase, condition, quiet hours) before anything is sent.
 */
@Singleton
public class NotificationDispatcher {
    private static final Logger LOG = Logger.getLogger(NotificationDispatcher.class);
    /** A lease outlives the longest attempt (60 s) so that no other replica takes a notification mid-send. */
    private static final Duration LEASE = Duration.ofSeconds(90);
    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

    private final NotificationConfig config;
    private final NotificationRepository notifications;
    private final TriggerRepository triggers;
    private final SegmentRepository segments;
    private final StoreCheck stores;
    private final PayloadBuilder payloads;
    private final LinkSigner links;
    private final NotificationProvider provider;
    private final RetryPolicy retry;
    private final Clock clock;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Cancellable next;

    public NotificationDispatcher(NotificationConfig config, NotificationRepository notifications, TriggerRepository triggers,
                                  SegmentRepository segments, StoreCheck stores, PayloadBuilder payloads, LinkSigner links,
                                  WebhookProvider provider, Clock clock) {
        this.config = config;
        this.notifications = notifications;
        this.triggers = triggers;
        this.segments = segments;
        this.stores = stores;
        this.payloads = payloads;
        this.links = links;
        this.provider = provider;
        this.clock = clock;
        this.retry = new RetryPolicy(config.retry().initialBackoff(), config.retry().maxBackoff(), config.retry().jitter());
    }

    void onStart(@Observes StartupEvent event) {
        if (config.enabled()) {
            running.set(true);
            schedule(config.pollInterval());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        running.set(false);
        Cancellable c = next;
        if (c != null) {
            c.cancel();
        }
    }

    private void schedule(Duration delay) {
        if (!running.get()) {
            return;
        }
        // Mutiny refuses a zero delay: a full batch goes straight on to the next round.
        Uni<Void> wait = delay.isZero() ? Uni.createFrom().voidItem() : Uni.createFrom().voidItem().onItem().delayIt().by(delay);
        next = wait.chain(this::round)
                .subscribe().with(more -> schedule(more ? Duration.ZERO : config.pollInterval()), e -> {
                    LOG.warnf("notification round failed (%s); next round in %s", e.toString(), config.pollInterval());
                    schedule(config.pollInterval());
                });
    }

    /** One round; true when a full batch was leased (more may be due at once). */
    public Uni<Boolean> round() {
        Instant now = Instants.now(clock);
        return notifications.countWaiting(now)
                .chain(waiting -> waiting >= 2L * config.batchSize() ? Uni.createFrom().voidItem() : claimAll(now))
                .chain(() -> notifications.cancelOvertaken(now))
                .chain(() -> deliverDue());
    }

    /** Claims what fell due for every active trigger (a failing trigger does not stop the others). */
    private Uni<Void> claimAll(Instant now) {
        return triggers.active()
                .chain(active -> Multi.createFrom().iterable(active)
                        .onItem().transformToUniAndConcatenate(t -> notifications.claimDue(t, now, config.claimBatchSize())
                                .onFailure().invoke(e -> LOG.warnf("claims of trigger %s failed: %s", t.triggerId(), e.toString()))
                                .onFailure().recoverWithItem(0L))
                        .collect().asList())
                .replaceWithVoid();
    }

    private Uni<Boolean> deliverDue() {
        String owner = UUID.randomUUID().toString();
        return notifications.lease(owner, Instants.now(clock), LEASE, config.batchSize())
                .chain(leased -> leased.isEmpty() ? Uni.createFrom().item(false)
                        : Multi.createFrom().iterable(leased)
                        .onItem().transformToUni(n -> process(n, owner)
                                .onFailure().invoke(e -> LOG.warnf("notification %s not processed (%s); retried when its lease ends",
                                        n.notificationId(), e.toString()))
                                .onFailure().recoverWithNull())
                        .merge(config.concurrency())
                        .collect().asList()
                        .map(done -> leased.size() == config.batchSize()));
    }

    private Uni<Void> process(Notification n, String owner) {
        return Reactive.uni(triggers.find(n.triggerId())).chain(t -> {
            Instant now = Instants.now(clock);
            if (t == null) {
                return notifications.skip(n.notificationId(), owner, SkipReason.TRIGGER_DELETED, now);
            }
            if (!t.active()) {
                return notifications.skip(n.notificationId(), owner, SkipReason.TRIGGER_PAUSED, now);
            }
            return notifications.cart(n.storeId(), n.cartId()).chain(cart -> {
                if (cart == null) {
                    return notifications.contactState(n.contactId(), n.storeId(), now).chain(c -> notifications.skip(n.notificationId(),
                            owner, c.suppressed() ? SkipReason.SUPPRESSED : SkipReason.CART_PURGED, now));
                }
                return notifications.contactState(n.contactId(), cart.storeId(), cart.updateTime())
                        .chain(contact -> conditionHolds(t, n.contactId(), contact.known())
                                .chain(holds -> {
                                    SkipReason reason = TriggerChecks.sendTimeSkip(cart, n.episode(), contact, holds);
                                    if (reason != null) {
                                        return notifications.skip(n.notificationId(), owner, reason, now);
                                    }
                                    return stores.find(cart.storeId()).chain(store -> send(n, owner, t, cart, store));
                                }));
            });
        });
    }

    /** Whether the contact matches the trigger's condition (null when there is none), in the trigger's store scope. */
    Uni<Boolean> conditionHolds(Trigger t, String contactId, boolean known) {
        Condition condition = ConditionMapper.stored(t.condition(), t.storeId());
        if (condition == null) {
            return Uni.createFrom().nullItem();
        }
        if (!known) {
            return Uni.createFrom().item(false);
        }
        return segments.matches(contactId, condition, t.storeId().isEmpty() ? null : t.storeId());
    }

    static ZoneId zone(Store store) {
        try {
            return store == null || store.getTimeZone().isEmpty() ? ZoneId.of("UTC") : ZoneId.of(store.getTimeZone());
        } catch (java.time.DateTimeException e) {
            return ZoneId.of("UTC");
        }
    }

    private Uni<Void> send(Notification n, String owner, Trigger t, CartFact cart, Store store) {
        Instant now = Instants.now(clock);
        ZoneId zone = zone(store);
        if (t.quietHours() != null && t.quietHours().contains(now, zone)) {
            if (t.quietHours().skip()) {
                return notifications.skip(n.notificationId(), owner, SkipReason.QUIET_HOURS, now);
            }
            Instant end = t.quietHours().endAfter(now, zone);
            return notifications.defer(n.notificationId(), owner, end, "deferred by quiet hours until " + end);
        }
        String secret = secret(t);
        if (secret == null) {
            NotificationProvider.Delivery refused = new NotificationProvider.Delivery(0, "webhook secret " + t.webhook().secretRef()
                    + " is not configured", null, Duration.ZERO);
            return notifications.recordAttempt(n, owner, refused, now, TriggerRepository.FAILED, null, now);
        }
        return payload(n, owner, cart, store, now).chain(payload -> {
            String body;
            try {
                body = JSON.print(payload);
            } catch (InvalidProtocolBufferException e) {
                return Uni.createFrom().failure(e);
            }
            Duration timeout = t.webhook().timeout();
            return provider.deliver(new NotificationProvider.Target(t.webhook().url(), secret, timeout), n.notificationId(), body)
                    .chain(d -> outcome(n, owner, d, now));
        });
    }

    private Uni<NotificationPayload> payload(Notification n, String owner, CartFact cart, Store store, Instant now) {
        if (n.payload() != null) {
            try {
                return Uni.createFrom().item(NotificationPayload.parseFrom(n.payload()));
            } catch (InvalidProtocolBufferException e) {
                return Uni.createFrom().failure(e);
            }
        }
        return notifications.recipient(n.contactId())
                .chain(who -> payloads.build(n, cart, store, who, now))
                .call(p -> notifications.savePayload(n.notificationId(), owner, p.toByteArray()));
    }

    private Uni<Void> outcome(Notification n, String owner, NotificationProvider.Delivery d, Instant attemptTime) {
        Instant now = Instants.now(clock);
        if (d.delivered()) {
            return notifications.recordAttempt(n, owner, d, attemptTime, TriggerRepository.SENT, null, now);
        }
        if (!RetryPolicy.retryable(d.statusCode())) {
            return notifications.recordAttempt(n, owner, d, attemptTime, TriggerRepository.FAILED, null, now);
        }
        Instant started = n.deliveryStart() == null ? attemptTime : n.deliveryStart();
        Instant nextAttempt = now.plus(retry.backoff(n.attemptCount() + 1, d.retryAfter()));
        if (nextAttempt.isAfter(started.plus(config.retry().maxAge()))) {
            return notifications.recordAttempt(n, owner, d, attemptTime, TriggerRepository.FAILED, null, now);
        }
        return notifications.recordAttempt(n, owner, d, attemptTime, TriggerRepository.PENDING, nextAttempt, now);
    }

    /** The trigger's signing secret: sealed in the row, or named in the configuration (null when missing). */
    String secret(Trigger t) {
        if (t.webhook().sealedSecret() != null) {
            return links.secrets().open(t.webhook().sealedSecret());
        }
        return ConfigProvider.getConfig().getOptionalValue(t.webhook().secretRef(), String.class).orElse(null);
    }
}
