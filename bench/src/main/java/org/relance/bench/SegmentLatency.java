package org.relance.bench;

import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartEvent;
import org.relance.api.cart.v1.CartEventType;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.WatchCartEventsRequest;
import org.relance.api.cart.v1.WatchCartEventsResponse;
import org.relance.api.segment.v1.MatchContactRequest;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.api.segment.v1.SegmentServiceGrpc;
import org.relance.api.segment.v1.TextOperator;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;

/**
 * Event → membership: carts submitted for known contacts through the cart service, left alone
 * until its sweeper marks them abandoned (store delay 5 s, the minimum; sweep every second), and
 * the time from the cart's abandon_time (set by the sweeper, carried by the ABANDONED event) until
 * MatchContact says the contact is in the segment "product name in the last abandoned cart is
 * <this cart's unique product>". The bench also follows WatchCartEvents itself: the time from
 * abandon_time until that bare client holds the event is the baseline (what any consumer of the
 * stream waits at least), and it starts the polling, every {@code pollMillis}, of one contact per
 * thread, so that polls do not queue behind each other.
 */
final class SegmentLatency {
    /** One sample: times in epoch microseconds; visible is when the first true answer arrived. */
    record Sample(String contactId, long abandonMicros, long eventSeenMicros, long visibleMicros, long lastFalseSentMicros, int polls) {
        double membershipMillis() {
            return (visibleMicros - abandonMicros) / 1000.0;
        }

        double deliveryMillis() {
            return (eventSeenMicros - abandonMicros) / 1000.0;
        }
    }

    record Result(List<Sample> samples, int submitted, int timedOut, int failed, String firstError) {
    }

    private final ManagedChannel cart;
    private final ManagedChannel segment;
    private final String store;
    private final String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    SegmentLatency(ManagedChannel cart, ManagedChannel segment, String store) {
        this.cart = cart;
        this.segment = segment;
        this.store = store;
    }

    private static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }

    private static long nowMicros() {
        return micros(Instant.now());
    }

    private String productName(int i) {
        return "Latency Probe " + run + "-" + i;
    }

    /**
     * Submits one cart per contact, {@code perSecond} a second, then waits for every one to be
     * visible (each at most {@code timeoutMillis} after its abandonment) or for {@code budget}.
     */
    Result run(List<String> contacts, double perSecond, int pollMillis, long timeoutMillis, Duration budget) {
        long end = System.nanoTime() + budget.toNanos();
        Map<String, Integer> probeByCart = new ConcurrentHashMap<>();
        List<Sample> samples = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger timedOut = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        String[] firstError = {null};
        AtomicInteger pending = new AtomicInteger();
        ExecutorService pollers = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "membership-poll");
            t.setDaemon(true);
            return t;
        });
        SegmentServiceGrpc.SegmentServiceBlockingStub match = SegmentServiceGrpc.newBlockingStub(segment)
                .withCallCredentials(new BearerToken(CartService.TOKEN));

        StreamObserver<WatchCartEventsResponse> watcher = new StreamObserver<>() {
            @Override
            public void onNext(WatchCartEventsResponse response) {
                long seen = nowMicros();
                CartEvent e = response.getEvent();
                if (e.getType() != CartEventType.CART_EVENT_TYPE_ABANDONED) {
                    return;
                }
                Integer probe = probeByCart.remove(e.getCart().getCartId());
                if (probe == null) {
                    return;
                }
                var t = e.getCart().getAbandonTime();
                long abandoned = t.getSeconds() * 1_000_000L + t.getNanos() / 1000;
                pending.incrementAndGet();
                pollers.execute(() -> {
                    try {
                        poll(match, contacts.get(probe), productName(probe), abandoned, seen, pollMillis, timeoutMillis, samples, timedOut);
                    } catch (RuntimeException ex) {
                        failed.incrementAndGet();
                        synchronized (firstError) {
                            if (firstError[0] == null) {
                                firstError[0] = ex.toString();
                            }
                        }
                    } finally {
                        pending.decrementAndGet();
                    }
                });
            }

            @Override
            public void onError(Throwable t) {
                synchronized (firstError) {
                    if (firstError[0] == null && !(t instanceof io.grpc.StatusRuntimeException s
                            && s.getStatus().getCode() == io.grpc.Status.Code.CANCELLED)) {
                        firstError[0] = "WatchCartEvents: " + t;
                    }
                }
            }

            @Override
            public void onCompleted() {
            }
        };
        io.grpc.Context.CancellableContext watch = io.grpc.Context.current().withCancellation();
        watch.run(() -> CartServiceGrpc.newStub(cart).withCallCredentials(new BearerToken(CartService.TOKEN))
                .watchCartEvents(WatchCartEventsRequest.newBuilder().setStoreId(store).build(), watcher));

        CartServiceGrpc.CartServiceBlockingStub submit = CartServiceGrpc.newBlockingStub(cart)
                .withCallCredentials(new BearerToken(CartService.TOKEN));
        int submitted = 0;
        long intervalNanos = (long) (1e9 / perSecond);
        long next = System.nanoTime();
        try {
            for (int i = 0; i < contacts.size(); i++) {
                // Keep room for the last carts to be abandoned (5 s) and seen (timeout) before the budget ends.
                if (System.nanoTime() > end - TimeUnit.MILLISECONDS.toNanos(7000 + timeoutMillis)) {
                    break;
                }
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    Postgres.sleep(wait / 1_000_000);
                }
                next += intervalNanos;
                String cartId = "lat-" + run + "-" + i;
                probeByCart.put(cartId, i);
                submit.withDeadlineAfter(10, TimeUnit.SECONDS).submitCart(SubmitCartRequest.newBuilder()
                        .setStoreId(store).setSubmitId("lat-" + run + "-" + i).setContactId(contacts.get(i))
                        .addOperations(CartOperation.newBuilder().setAddCart(AddCartOperation.newBuilder().setCartId(cartId)
                                .setStatus("ValidateShippingStep").setTotalPrice(Moneys.toMoney(new BigDecimal("119.80"), "EUR"))))
                        .addOperations(CartOperation.newBuilder().setAddCartItem(AddCartItemOperation.newBuilder().setCartId(cartId)
                                .setProductId("probe-" + i).setProductName(productName(i))
                                .setUnitPrice(Moneys.toMoney(new BigDecimal("59.90"), "EUR")).setQuantity(2)))
                        .build());
                submitted++;
            }
            // Every cart submitted is abandoned within 5 s + a sweep, then polled until seen or timed out.
            while (System.nanoTime() < end && (!probeByCart.isEmpty() || pending.get() > 0)) {
                Postgres.sleep(50);
            }
        } finally {
            watch.cancel(null);
            pollers.shutdownNow();
            try {
                pollers.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<Sample> done = new ArrayList<>(samples);
        // Carts never seen abandoned, or seen but not yet visible when the budget ended, count as timed out.
        int unseen = submitted - done.size() - timedOut.get() - failed.get();
        return new Result(done, submitted, timedOut.get() + Math.max(0, unseen), failed.get(), firstError[0]);
    }

    private static void poll(SegmentServiceGrpc.SegmentServiceBlockingStub match, String contactId, String product, long abandoned,
                             long seen, int pollMillis, long timeoutMillis, List<Sample> samples, AtomicInteger timedOut) {
        MatchContactRequest request = MatchContactRequest.newBuilder().setContactId(contactId)
                .setCondition(SegmentCondition.newBuilder().setLastAbandonedCartProductName(
                        SegmentCondition.LastAbandonedCartProductName.newBuilder().setOperator(TextOperator.TEXT_OPERATOR_IS)
                                .setText(product)))
                .build();
        long lastFalse = 0;
        int polls = 0;
        while (true) {
            long sent = nowMicros();
            boolean matches = match.withDeadlineAfter(5, TimeUnit.SECONDS).matchContact(request).getMatches();
            polls++;
            long received = nowMicros();
            if (matches) {
                samples.add(new Sample(contactId, abandoned, seen, received, lastFalse, polls));
                return;
            }
            lastFalse = sent;
            if (received - abandoned > timeoutMillis * 1000) {
                timedOut.incrementAndGet();
                return;
            }
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            try {
                Thread.sleep(pollMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
