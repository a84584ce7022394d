package org.relance.cart.persistence;

import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.jboss.logging.Logger;
import org.relance.kit.db.Database;
import reactor.core.publisher.Mono;

/**
 * Group commit: requests that arrive while commits are in flight are written together in the
 * next transaction, and each caller is answered only after that commit. The writer gives each
 * request of a batch its outcome (its result, or the refusal that concerns it alone); when the
 * whole transaction fails, the batch's requests are retried one by one, in order, so that one bad
 * request cannot sink the others.
 *
 * @param <T> a request
 * @param <R> its result
 */
final class GroupCommit<T, R> {
    private static final Logger LOG = Logger.getLogger(GroupCommit.class);

    /** A request waiting for its batch, and where its answer goes (identity: two equal requests stay two). */
    static final class Pending<T, R> {
        private final T request;
        private final CompletableFuture<R> answer = new CompletableFuture<>();

        private Pending(T request) {
            this.request = request;
        }

        T request() {
            return request;
        }
    }

    /** Writes one batch in the given transaction, putting each request's result or refusal in {@code outcomes}. */
    interface Writer<T, R> {
        Mono<?> write(Connection c, List<Pending<T, R>> batch, Map<Pending<T, R>, Object> outcomes);
    }

    private final String what;
    private final Database database;
    private final int maxBatch;
    private final int writers;
    private final Class<R> resultType;
    private final Writer<T, R> writer;
    private final IntConsumer onBatch;
    private final Consumer<Object> onOutcome;
    private final ConcurrentLinkedQueue<Pending<T, R>> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger writing = new AtomicInteger();

    /**
     * @param what      what a request is, for logs ("submit")
     * @param writers   batches in flight at once (with two, the next batch reads while the previous commits)
     * @param onBatch   told each batch's size
     * @param onOutcome told each request's outcome after the commit (a result or a Throwable)
     */
    GroupCommit(String what, Database database, int maxBatch, int writers, Class<R> resultType, Writer<T, R> writer,
                IntConsumer onBatch, Consumer<Object> onOutcome) {
        this.what = what;
        this.database = database;
        this.maxBatch = maxBatch;
        this.writers = Math.max(1, writers);
        this.resultType = resultType;
        this.writer = writer;
        this.onBatch = onBatch;
        this.onOutcome = onOutcome;
    }

    /** Queues a validated request; completes after the transaction that wrote it committed. */
    Uni<R> submit(T request) {
        return Uni.createFrom().completionStage(() -> {
            Pending<T, R> pending = new Pending<>(request);
            queue.add(pending);
            drain();
            return pending.answer;
        });
    }

    private void drain() {
        while (!queue.isEmpty()) {
            int inFlight = writing.get();
            if (inFlight >= writers) {
                return;
            }
            if (!writing.compareAndSet(inFlight, inFlight + 1)) {
                continue;
            }
            List<Pending<T, R>> batch = new ArrayList<>();
            for (Pending<T, R> p = queue.poll(); p != null; p = batch.size() < maxBatch ? queue.poll() : null) {
                batch.add(p);
            }
            if (batch.isEmpty()) {
                writing.decrementAndGet();
                continue;
            }
            write(batch).subscribe(done -> { }, failure -> finish(batch, failure), () -> finish(batch, null));
        }
    }

    private void finish(List<Pending<T, R>> batch, Throwable failure) {
        if (failure != null) {
            if (batch.size() > 1) {
                LOG.warnf("batch of %d %ss failed (%s); retrying them one by one", batch.size(), what, failure.toString());
                Mono<Void> chain = Mono.empty();
                for (Pending<T, R> p : batch) {
                    chain = chain.then(write(List.of(p)).onErrorResume(e -> {
                        p.answer.completeExceptionally(e);
                        return Mono.empty();
                    }));
                }
                chain.subscribe(v -> { }, e -> release(), this::release);
                return;
            }
            batch.get(0).answer.completeExceptionally(failure);
        }
        release();
    }

    private void release() {
        writing.decrementAndGet();
        drain();
    }

    /** One transaction for the whole batch; answers are given after the commit. */
    private Mono<Void> write(List<Pending<T, R>> batch) {
        Map<Pending<T, R>, Object> outcomes = new HashMap<>();
        onBatch.accept(batch.size());
        return database.inTransaction(c -> writer.write(c, batch, outcomes).then(Mono.just(true)))
                .then(Mono.fromRunnable(() -> {
                    for (Pending<T, R> p : batch) {
                        Object outcome = outcomes.get(p);
                        onOutcome.accept(outcome);
                        if (resultType.isInstance(outcome)) {
                            p.answer.complete(resultType.cast(outcome));
                        } else if (outcome instanceof Throwable t) {
                            p.answer.completeExceptionally(t);
                        } else {
                            p.answer.completeExceptionally(new IllegalStateException(what + " left without outcome"));
                        }
                    }
                }));
    }
}
