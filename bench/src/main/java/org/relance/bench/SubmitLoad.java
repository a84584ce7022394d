package org.relance.bench;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.SubmitCartResponse;
import org.relance.api.common.v1.Money;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;

/**
 * Sends typical submits (AddCart and two AddCartItem of a new cart, a new submit id each) over
 * gRPC and checks every answer's status and submit id itself. Latencies in microseconds.
 */
final class SubmitLoad {
    private static final long DEADLINE_SECONDS = 10;
    private static final Money PRICE = Moneys.toMoney(new BigDecimal("19.99"), "EUR");
    private static final Money TOTAL = Moneys.toMoney(new BigDecimal("59.97"), "EUR");

    private final List<CartServiceGrpc.CartServiceStub> stubs;
    private final String storeId;
    private final String tag;
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicInteger nextStub = new AtomicInteger();

    SubmitLoad(List<ManagedChannel> channels, String storeId, String tag) {
        BearerToken token = new BearerToken(CartService.TOKEN);
        this.stubs = channels.stream().map(c -> CartServiceGrpc.newStub(c).withCallCredentials(token)).toList();
        this.storeId = storeId;
        this.tag = tag;
    }

    /** What one measured window saw. */
    record Result(long ok, long failed, Map<String, Long> failures, long dropped, double seconds, Histogram latencyMicros) {
        double perSecond() {
            return ok / seconds;
        }

        double percentileMillis(double p) {
            return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getValueAtPercentile(p) / 1000.0;
        }

        String describe() {
            return String.format("%,.0f submits/s ok=%d failed=%d%s dropped=%d p50=%.2f ms p90=%.2f ms p99=%.2f ms p99.9=%.2f ms max=%.2f ms",
                    perSecond(), ok, failed, failures.isEmpty() ? "" : " " + failures, dropped, percentileMillis(50),
                    percentileMillis(90), percentileMillis(99), percentileMillis(99.9),
                    latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getMaxValue() / 1000.0);
        }
    }

    SubmitCartRequest request(long n) {
        String cart = tag + "-c" + n;
        return SubmitCartRequest.newBuilder()
                .setStoreId(storeId)
                .setSubmitId(tag + "-s" + n)
                .addOperations(CartOperation.newBuilder().setAddCart(AddCartOperation.newBuilder()
                        .setCartId(cart).setTotalPrice(TOTAL)))
                .addOperations(CartOperation.newBuilder().setAddCartItem(AddCartItemOperation.newBuilder()
                        .setCartId(cart).setProductId("p-1").setProductName("Blue mug").setCategory("Kitchen")
                        .setCategoryId("k1").setUnitPrice(PRICE).setQuantity(2)))
                .addOperations(CartOperation.newBuilder().setAddCartItem(AddCartItemOperation.newBuilder()
                        .setCartId(cart).setProductId("p-2").setProductName("Green tea, 100 g").setCategory("Grocery")
                        .setCategoryId("g7").setUnitPrice(PRICE).setQuantity(1)))
                .build();
    }

    /** Counts and latencies of the calls that end inside [start, end) of the measured window (EdgeLoad's too). */
    static final class Window {
        final long start;
        final long end;
        final Recorder recorder = new Recorder(3_600_000_000L, 3);
        final LongAdder ok = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder dropped = new LongAdder();
        final Map<String, LongAdder> failures = new ConcurrentHashMap<>();

        Window(long start, long end) {
            this.start = start;
            this.end = end;
        }

        void record(long intended, long done, String failure) {
            if (done < start || done >= end) {
                return;
            }
            if (failure == null) {
                ok.increment();
                recorder.recordValue(Math.max(1, (done - intended) / 1000));
            } else {
                failed.increment();
                failures.computeIfAbsent(failure, k -> new LongAdder()).increment();
            }
        }

        Result result() {
            Map<String, Long> f = new TreeMap<>();
            failures.forEach((k, v) -> f.put(k, v.sum()));
            return new Result(ok.sum(), failed.sum(), f, dropped.sum(), (end - start) / 1e9, recorder.getIntervalHistogram());
        }
    }

    private interface Done {
        void done(long finishedNanos, String failure);
    }

    private void send(long intended, Done done) {
        long n = sequence.incrementAndGet();
        SubmitCartRequest request = request(n);
        CartServiceGrpc.CartServiceStub stub = stubs.get(Math.floorMod(nextStub.getAndIncrement(), stubs.size()));
        stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).submitCart(request, new StreamObserver<>() {
            private boolean matched;

            @Override
            public void onNext(SubmitCartResponse response) {
                matched = response.getSubmitId().equals(request.getSubmitId()) && response.getCartIdsCount() == 1;
            }

            @Override
            public void onError(Throwable t) {
                done.done(System.nanoTime(), Status.fromThrowable(t).getCode().name());
            }

            @Override
            public void onCompleted() {
                done.done(System.nanoTime(), matched ? null : "WRONG_ANSWER");
            }
        });
    }

    /** {@code concurrency} calls always in flight: each answer sends the next. */
    Result closedLoop(int concurrency, long warmupMillis, long measureMillis) {
        long now = System.nanoTime();
        Window window = new Window(now + warmupMillis * 1_000_000, now + (warmupMillis + measureMillis) * 1_000_000);
        CountDownLatch finished = new CountDownLatch(concurrency);
        for (int i = 0; i < concurrency; i++) {
            loop(window, finished);
        }
        await(finished, warmupMillis + measureMillis + DEADLINE_SECONDS * 1000 + 5000);
        return window.result();
    }

    private void loop(Window window, CountDownLatch finished) {
        long started = System.nanoTime();
        send(started, (done, failure) -> {
            window.record(started, done, failure);
            if (done < window.end) {
                if (failure == null) {
                    loop(window, finished);
                } else {
                    // A call that fails at once may answer on the caller's stack: do not recurse.
                    java.util.concurrent.ForkJoinPool.commonPool().execute(() -> loop(window, finished));
                }
            } else {
                finished.countDown();
            }
        });
    }

    /**
     * An open loop: calls sent at a fixed rate whatever the answers, latency measured from when
     * each call was due (so a stall counts for every call it delays). At most {@code maxInFlight}
     * calls in flight; a call due above that is dropped and counted.
     */
    Result openLoop(double perSecond, long warmupMillis, long measureMillis, int maxInFlight) {
        long begin = System.nanoTime();
        Window window = new Window(begin + warmupMillis * 1_000_000, begin + (warmupMillis + measureMillis) * 1_000_000);
        AtomicInteger inFlight = new AtomicInteger();
        double period = 1e9 / perSecond;
        for (long i = 0; ; i++) {
            long due = begin + (long) (i * period);
            if (due >= window.end) {
                break;
            }
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            if (inFlight.get() >= maxInFlight) {
                if (due >= window.start) {
                    window.dropped.increment();
                }
                continue;
            }
            inFlight.incrementAndGet();
            send(due, (done, failure) -> {
                inFlight.decrementAndGet();
                window.record(due, done, failure);
            });
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS + 5);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Postgres.sleep(5);
        }
        return window.result();
    }

    /**
     * The open loop of {@link #openLoop} kept up for {@code windows} consecutive windows of
     * {@code windowMillis} after the warm-up (a soak): one result per window, each call counted in
     * the window it ends in (a drop in the window it was due in).
     */
    List<Result> openLoopWindows(double perSecond, long warmupMillis, int windows, long windowMillis, int maxInFlight) {
        long begin = System.nanoTime();
        long first = begin + warmupMillis * 1_000_000;
        Window[] slots = new Window[windows];
        for (int k = 0; k < windows; k++) {
            slots[k] = new Window(first + k * windowMillis * 1_000_000, first + (k + 1) * windowMillis * 1_000_000);
        }
        long end = slots[windows - 1].end;
        AtomicInteger inFlight = new AtomicInteger();
        double period = 1e9 / perSecond;
        for (long i = 0; ; i++) {
            long due = begin + (long) (i * period);
            if (due >= end) {
                break;
            }
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            if (inFlight.get() >= maxInFlight) {
                if (due >= first) {
                    slots[(int) ((due - first) / (windowMillis * 1_000_000))].dropped.increment();
                }
                continue;
            }
            inFlight.incrementAndGet();
            send(due, (done, failure) -> {
                inFlight.decrementAndGet();
                if (done >= first && done < end) {
                    slots[(int) ((done - first) / (windowMillis * 1_000_000))].record(due, done, failure);
                }
            });
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS + 5);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Postgres.sleep(5);
        }
        List<Result> out = new java.util.ArrayList<>();
        for (Window w : slots) {
            out.add(w.result());
        }
        return out;
    }

    private static void await(CountDownLatch latch, long millis) {
        try {
            if (!latch.await(millis, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("load did not finish in time (" + latch.getCount() + " loops still waiting)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
