package org.relance.segment.facts;

import io.quarkus.grpc.GrpcClient;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.relance.api.cart.v1.CartEvent;
import org.relance.api.cart.v1.MutinyCartServiceGrpc;
import org.relance.api.cart.v1.MutinyPageViewServiceGrpc;
import org.relance.api.cart.v1.WatchPageEventsRequest;
import org.relance.api.cart.v1.WatchCartEventsRequest;
import org.relance.api.transaction.v1.MutinyTransactionServiceGrpc;
import org.relance.api.transaction.v1.TransactionEvent;
import org.relance.api.transaction.v1.WatchTransactionEventsRequest;
import org.relance.segment.persistence.FactsStore;

/**
 * Follows the cart, transaction and page event streams from the stored positions and applies them to
 * the facts in batches (up to 500 events, or what arrived within 20 ms), one batch written at a
 * time while the next ones wait in a bounded buffer. When a stream breaks
 * (a service restarts, the network blips), it reconnects with back-off from the position stored
 * with the last applied batch: nothing is lost and nothing is applied twice.
 */
@Singleton
public class StreamConsumers {
    private static final Logger LOG = Logger.getLogger(StreamConsumers.class);
    private static final int BATCH = 500;
    private static final Duration BATCH_WINDOW = Duration.ofMillis(20);
    private static final int BUFFERED_BATCHES = 10_000;

    private final MutinyCartServiceGrpc.MutinyCartServiceStub carts;
    private final MutinyTransactionServiceGrpc.MutinyTransactionServiceStub transactions;
    private final MutinyPageViewServiceGrpc.MutinyPageViewServiceStub pages;
    private final FactsStore facts;
    private final boolean enabled;
    private final AtomicLong lastBatchNanos = new AtomicLong(System.nanoTime());
    private volatile Cancellable cartSubscription;
    private volatile Cancellable transactionSubscription;
    private volatile Cancellable pageSubscription;

    public StreamConsumers(@GrpcClient("cart") MutinyCartServiceGrpc.MutinyCartServiceStub carts,
                           @GrpcClient("transaction") MutinyTransactionServiceGrpc.MutinyTransactionServiceStub transactions,
                           @GrpcClient("cart") MutinyPageViewServiceGrpc.MutinyPageViewServiceStub pages,
                           FactsStore facts, @ConfigProperty(name = "relance.segment.consume", defaultValue = "true") boolean enabled) {
        this.carts = carts;
        this.transactions = transactions;
        this.pages = pages;
        this.facts = facts;
        this.enabled = enabled;
    }

    void onStart(@Observes StartupEvent event) {
        if (enabled) {
            start();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    /** Starts (or restarts) the three consumers from the stored positions. */
    public synchronized void start() {
        stop();
        pageSubscription = follow("page", FactsStore.PAGE,
                after -> pages.watchPageEvents(WatchPageEventsRequest.newBuilder().setAfterSequence(after).build())
                        .map(r -> r.getEvent()),
                facts::applyPageEvents, false);
        startCommerce();
    }

    /**
     * Starts (or restarts) the cart and transaction consumers alone: a rebuild replays those two
     * streams while the page consumer goes on (page-visit facts are kept, see
     * {@link FactsStore#clear()}).
     */
    public synchronized void startCommerce() {
        stopCommerce();
        lastBatchNanos.set(System.nanoTime());
        cartSubscription = follow("cart", FactsStore.CART,
                after -> carts.watchCartEvents(WatchCartEventsRequest.newBuilder().setAfterSequence(after).build())
                        .map(r -> r.getEvent()),
                facts::applyCartEvents, true);
        transactionSubscription = follow("transaction", FactsStore.TRANSACTION,
                after -> transactions.watchTransactionEvents(WatchTransactionEventsRequest.newBuilder().setAfterSequence(after).build())
                        .map(r -> r.getEvent()),
                facts::applyTransactionEvents, true);
    }

    /** Stops the cart and transaction consumers. */
    public synchronized void stopCommerce() {
        if (cartSubscription != null) {
            cartSubscription.cancel();
            cartSubscription = null;
        }
        if (transactionSubscription != null) {
            transactionSubscription.cancel();
            transactionSubscription = null;
        }
    }

    /** Stops the three consumers. */
    public synchronized void stop() {
        stopCommerce();
        if (pageSubscription != null) {
            pageSubscription.cancel();
            pageSubscription = null;
        }
    }

    /** Nanoseconds since a cart or transaction batch was last applied or a stream last failed (rebuild waits for quiet). */
    public long idleNanos() {
        return System.nanoTime() - lastBatchNanos.get();
    }

    private void quiet(boolean commerce) {
        if (commerce) {
            lastBatchNanos.set(System.nanoTime());
        }
    }

    private <E> Cancellable follow(String name, String stream, Function<Long, Multi<E>> watch,
                                   Function<List<E>, Uni<Long>> apply, boolean commerce) {
        return Multi.createFrom().deferred(() -> Multi.createFrom().uni(facts.position(stream))
                        .onItem().transformToMultiAndConcatenate(position -> watch.apply(position)))
                .onCompletion().failWith(() -> new IllegalStateException("the stream ended"))
                .group().intoLists().of(BATCH, BATCH_WINDOW)
                // Batches close on time whatever the demand: keep them while the previous one is written.
                .onOverflow().buffer(BUFFERED_BATCHES)
                .select().where(batch -> !batch.isEmpty())
                .onItem().transformToUniAndConcatenate(batch -> apply.apply(batch).invoke(p -> quiet(commerce)))
                .onFailure().invoke(e -> quiet(commerce))
                .onFailure().invoke(e -> LOG.warnf("%s event stream interrupted (%s), resuming from the stored position", name,
                        e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(1)).indefinitely()
                .subscribe().with(position -> { }, e -> LOG.error(name + " consumer stopped", e));
    }
}
