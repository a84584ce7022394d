package org.relance.bench;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.relance.api.common.v1.Money;
import org.relance.api.transaction.v1.RecordTransactionRequest;
import org.relance.api.transaction.v1.RecordTransactionResponse;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionItem;
import org.relance.api.transaction.v1.TransactionServiceGrpc;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;

/**
 * Sends RecordTransaction calls (a new transaction id and contact each, 3 items, no cart) over
 * gRPC in a closed loop and checks every answer's status and transaction id. Latencies in microseconds.
 */
final class TransactionLoad {
    private static final long DEADLINE_SECONDS = 10;
    private static final Money ZERO = Moneys.toMoney(BigDecimal.ZERO, "EUR");

    private final TransactionServiceGrpc.TransactionServiceStub stub;
    private final String storeId;
    private final String tag;
    private final AtomicLong sequence = new AtomicLong();

    TransactionLoad(ManagedChannel channel, String storeId, String tag) {
        this.stub = TransactionServiceGrpc.newStub(channel).withCallCredentials(new BearerToken(CartService.TOKEN));
        this.storeId = storeId;
        this.tag = tag;
    }

    /** What one measured window saw. */
    record Result(long ok, long failed, Map<String, Long> failures, double seconds, Histogram latencyMicros) {
        double perSecond() {
            return ok / seconds;
        }

        double percentileMillis(double p) {
            return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getValueAtPercentile(p) / 1000.0;
        }

        String describe() {
            return String.format("%,.0f transactions/s ok=%d failed=%d%s p50=%.2f ms p90=%.2f ms p99=%.2f ms p99.9=%.2f ms",
                    perSecond(), ok, failed, failures.isEmpty() ? "" : " " + failures, percentileMillis(50),
                    percentileMillis(90), percentileMillis(99), percentileMillis(99.9));
        }
    }

    private static Money eur(String amount) {
        return Moneys.toMoney(new BigDecimal(amount), "EUR");
    }

    RecordTransactionRequest request(long n) {
        Transaction.Builder t = Transaction.newBuilder()
                .setStoreId(storeId)
                .setTransactionId(tag + "-t" + n)
                .setContactId(tag + "-c" + n)
                .setCurrencyCode("EUR")
                .setRevenue(eur("79.96")).setTax(ZERO).setShipping(ZERO);
        t.addItems(TransactionItem.newBuilder().setProductId("p-1").setProductName("Blue mug").setCategory("Kitchen")
                .setCategoryId("k1").setUnitPrice(eur("19.99")).setTotalPrice(eur("39.98")).setQuantity(2));
        t.addItems(TransactionItem.newBuilder().setProductId("p-2").setProductName("Green tea, 100 g").setCategory("Grocery")
                .setCategoryId("g1").setUnitPrice(eur("19.99")).setTotalPrice(eur("19.99")).setQuantity(1));
        t.addItems(TransactionItem.newBuilder().setProductId("p-3").setProductName("Tea towel").setCategory("Kitchen")
                .setCategoryId("k1").setUnitPrice(eur("19.99")).setTotalPrice(eur("19.99")).setQuantity(1));
        return RecordTransactionRequest.newBuilder().setTransaction(t).build();
    }

    /** {@code inFlight} calls at all times; counts those ending in [warm-up end, end). */
    Result closedLoop(int inFlight, long warmupMillis, long measureMillis) {
        long begin = System.nanoTime();
        long measureFrom = begin + TimeUnit.MILLISECONDS.toNanos(warmupMillis);
        long measureTo = measureFrom + TimeUnit.MILLISECONDS.toNanos(measureMillis);
        Recorder recorder = new Recorder(3);
        LongAdder ok = new LongAdder();
        LongAdder failed = new LongAdder();
        Map<String, Long> failures = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(inFlight);
        for (int i = 0; i < inFlight; i++) {
            send(measureFrom, measureTo, recorder, ok, failed, failures, done);
        }
        try {
            if (!done.await(measureMillis + warmupMillis + TimeUnit.SECONDS.toMillis(DEADLINE_SECONDS + 20), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("calls still in flight after the run");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return new Result(ok.sum(), failed.sum(), new TreeMap<>(failures), measureMillis / 1000.0, recorder.getIntervalHistogram());
    }

    private void send(long measureFrom, long measureTo, Recorder recorder, LongAdder ok, LongAdder failed,
                      Map<String, Long> failures, CountDownLatch done) {
        long start = System.nanoTime();
        if (start >= measureTo) {
            done.countDown();
            return;
        }
        RecordTransactionRequest request = request(sequence.incrementAndGet());
        String id = request.getTransaction().getTransactionId();
        stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).recordTransaction(request, new StreamObserver<>() {
            private boolean good;

            @Override
            public void onNext(RecordTransactionResponse response) {
                good = response.getTransaction().getTransactionId().equals(id) && !response.getAlreadyRecorded();
            }

            @Override
            public void onError(Throwable t) {
                finish(Status.fromThrowable(t).getCode().name());
            }

            @Override
            public void onCompleted() {
                finish(good ? null : "WRONG_ANSWER");
            }

            private void finish(String failure) {
                long end = System.nanoTime();
                if (start >= measureFrom && end < measureTo) {
                    if (failure == null) {
                        ok.increment();
                        recorder.recordValue(Math.max(1, (end - start) / 1000));
                    } else {
                        failed.increment();
                        failures.merge(failure, 1L, Long::sum);
                    }
                } else if (failure != null) {
                    failed.increment();
                    failures.merge(failure + " (outside the window)", 1L, Long::sum);
                }
                send(measureFrom, measureTo, recorder, ok, failed, failures, done);
            }
        });
    }
}
