package org.relance.edge.chaos;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Follows one event stream (the cart or the transaction log of the run's store) from its start and
 * counts, per cart or transaction, how many events of each type it carried: the ground truth for
 * "applied once", as every consumer of the stream sees it.
 */
final class EventTally {
    private final Map<String, Map<String, Integer>> counts = new ConcurrentHashMap<>();
    private final AtomicLong lastSequence = new AtomicLong();
    private final AtomicLong events = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Context.CancellableContext context = Context.current().withCancellation();

    /** Subscribes with {@code subscribe}, inside a context that {@link #close} cancels. */
    void follow(java.util.function.Consumer<StreamObserver<Entry>> subscribe) {
        context.run(() -> subscribe.accept(new StreamObserver<>() {
            @Override
            public void onNext(Entry entry) {
                counts.computeIfAbsent(entry.key, k -> new ConcurrentHashMap<>()).merge(entry.type, 1, Integer::sum);
                lastSequence.accumulateAndGet(entry.sequence, Math::max);
                events.incrementAndGet();
            }

            @Override
            public void onError(Throwable t) {
                failure.set(t);
            }

            @Override
            public void onCompleted() {
                // a server stream of the log stays open; completion only comes with the cancel
            }
        }));
    }

    /** Adapts a stream of {@code T} to the tally. */
    static <T> StreamObserver<T> mapped(StreamObserver<Entry> target, java.util.function.Function<T, Entry> toEntry) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                target.onNext(toEntry.apply(value));
            }

            @Override
            public void onError(Throwable t) {
                target.onError(t);
            }

            @Override
            public void onCompleted() {
                target.onCompleted();
            }
        };
    }

    /** Events of {@code type} seen for {@code key}. */
    int count(String key, String type) {
        Map<String, Integer> byType = counts.get(key);
        return byType == null ? 0 : byType.getOrDefault(type, 0);
    }

    Map<String, Integer> countsOf(String key) {
        return counts.getOrDefault(key, Map.of());
    }

    long lastSequence() {
        return lastSequence.get();
    }

    long events() {
        return events.get();
    }

    Throwable failure() {
        return failure.get();
    }

    void close() {
        context.cancel(null);
    }

    /** One event, reduced to what the tally needs. */
    record Entry(long sequence, String key, String type) {
    }
}
