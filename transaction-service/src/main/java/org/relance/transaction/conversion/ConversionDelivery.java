package org.relance.transaction.conversion;

import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;
import org.relance.api.cart.v1.ConvertCartRequest;
import org.relance.api.cart.v1.MutinyCartServiceGrpc;
import org.relance.transaction.config.TransactionConfig;
import org.relance.transaction.domain.CartConversion;
import org.relance.transaction.persistence.PendingConversions;
import org.relance.transaction.persistence.TransactionRepository;

/**
 * Delivers the cart conversions of recorded transactions to the cart service until it confirms
 * each: at once after a recording, then every interval for what is due, with exponential back-off
 * while the cart service is away. Nothing is lost across restarts: the outbox is in PostgreSQL.
 */
@Singleton
public class ConversionDelivery {
    private static final Logger LOG = Logger.getLogger(ConversionDelivery.class);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration ROUND_TIMEOUT = Duration.ofSeconds(25);

    private final MutinyCartServiceGrpc.MutinyCartServiceStub carts;
    private final PendingConversions pending;
    private final TransactionRepository transactions;
    private final TransactionConfig.Conversion config;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    private final Counter delivered;
    private final Counter failed;

    public ConversionDelivery(@GrpcClient("cart") MutinyCartServiceGrpc.MutinyCartServiceStub carts, PendingConversions pending,
                              TransactionRepository transactions, TransactionConfig config, MeterRegistry registry) {
        this.carts = carts;
        this.pending = pending;
        this.transactions = transactions;
        this.config = config.conversion();
        this.delivered = Counter.builder("relance.transaction.conversions").tag("outcome", "delivered").register(registry);
        this.failed = Counter.builder("relance.transaction.conversions").tag("outcome", "retried").register(registry);
    }

    @Scheduled(every = "${relance.transaction.conversion.interval:2s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            identity = "conversion-delivery")
    void scheduled() {
        kick();
    }

    /** Delivers what is due now (no-op if a round runs; that round then goes once more). */
    public void kick() {
        if (!running.compareAndSet(false, true)) {
            again.set(true);
            return;
        }
        again.set(false);
        deliverDue().ifNoItem().after(ROUND_TIMEOUT).fail().subscribe().with(n -> done(), e -> {
            LOG.warnf("conversion delivery round failed, retrying later: %s", e.toString());
            done();
        });
    }

    private void done() {
        running.set(false);
        if (again.getAndSet(false)) {
            kick();
        }
    }

    /** One round: leases what is due and delivers it; returns how many were confirmed. */
    public Uni<Long> deliverDue() {
        return pending.lease(config.batch(), config.lease())
                .invoke(list -> LOG.debugf("%d conversions due", list.size()))
                .onItem().transformToMulti(list -> Multi.createFrom().iterable(list))
                .onItem().transformToUni(this::deliver).merge(8)
                .filter(Boolean::booleanValue)
                .collect().with(java.util.stream.Collectors.counting());
    }

    private Uni<Boolean> deliver(PendingConversions.Pending p) {
        ConvertCartRequest.Builder request = ConvertCartRequest.newBuilder().setStoreId(p.storeId()).setCartId(p.cartId())
                .setTransactionId(p.transactionId())
                .setConvertTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(p.occurTime().getEpochSecond())
                        .setNanos(p.occurTime().getNano()));
        if (p.contactId() != null) {
            request.setContactId(p.contactId());
        }
        return carts.withDeadlineAfter(CALL_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                .convertCart(request.build())
                .ifNoItem().after(CALL_TIMEOUT.plusSeconds(1)).fail()
                .chain(response -> transactions.markConverted(p.storeId(), p.transactionId(), switch (response.getOutcome()) {
                    case CONVERSION_OUTCOME_RECOVERED -> CartConversion.RECOVERED;
                    case CONVERSION_OUTCOME_UNTRACKED -> CartConversion.UNTRACKED;
                    default -> CartConversion.CONVERTED;
                }))
                .invoke(() -> {
                    delivered.increment();
                    LOG.debugf("conversion of cart %s (transaction %s) confirmed", p.cartId(), p.transactionId());
                })
                .replaceWith(true)
                .onFailure().recoverWithUni(e -> {
                    failed.increment();
                    String error = e instanceof StatusRuntimeException sre ? sre.getStatus().getCode() + ": "
                            + sre.getStatus().getDescription() : e.getClass().getSimpleName();
                    Duration delay = backoff(p.attempts());
                    LOG.debugf("conversion of cart %s (transaction %s) failed: %s; next attempt in %s", p.cartId(),
                            p.transactionId(), error, delay);
                    return pending.retryLater(p, delay, error).replaceWith(false)
                            .onFailure().recoverWithItem(false);
                });
    }

    private Duration backoff(int attempts) {
        long seconds = 1L << Math.min(Math.max(attempts - 1, 0), 16);
        Duration delay = Duration.ofSeconds(seconds);
        return delay.compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : delay;
    }
}
