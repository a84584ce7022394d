package org.relance.cart;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.CartEvent;
import org.relance.api.cart.v1.CartEventType;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.ConvertCartRequest;
import org.relance.api.cart.v1.WatchCartEventsRequest;
import org.relance.api.cart.v1.WatchCartEventsResponse;
import org.relance.cart.lifecycle.AbandonmentSweeper;
import org.relance.cart.support.CartApi;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.time.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.relance.cart.support.CartApi.addCart;
import static org.relance.cart.support.CartApi.addItem;
import static org.relance.cart.support.CartApi.newId;
import static org.relance.cart.support.CartApi.updateCart;

/** WatchCartEvents: the whole log, then live events woken by LISTEN/NOTIFY, resumable with no gap. */
@QuarkusTest
class CartEventStreamIT {
    @Inject
    MutableClock clock;
    @Inject
    AbandonmentSweeper sweeper;

    private CartApi api;
    private String store;

    @BeforeEach
    void setUp() {
        api = new CartApi();
        store = api.newStore();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        api.close();
    }

    private Context.CancellableContext watch(long after, String storeId, List<CartEvent> into) {
        CartServiceGrpc.CartServiceStub async = CartServiceGrpc.newStub(api.channel).withCallCredentials(new BearerToken(CartApi.TOKEN));
        Context.CancellableContext context = Context.current().withCancellation();
        context.run(() -> async.watchCartEvents(WatchCartEventsRequest.newBuilder().setAfterSequence(after)
                .setStoreId(storeId == null ? "" : storeId).build(), new StreamObserver<>() {
                    @Override
                    public void onNext(WatchCartEventsResponse value) {
                        into.add(value.getEvent());
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                }));
        return context;
    }

    @Test
    void everyChangeOfACartIsStreamedInOrderAndLive() {
        List<CartEvent> seen = new CopyOnWriteArrayList<>();
        Context.CancellableContext stream = watch(0, store, seen);
        try {
            String cartId = newId("c-");
            api.submit(store, addCart(cartId, "Browse", "10"), addItem(cartId, "p", "P", "10", 1));
            api.submit(store, updateCart(cartId, "Pay", "12"));
            clock.advance(Duration.ofMinutes(61));
            sweeper.sweep().await().atMost(Duration.ofSeconds(30));
            api.submit(store, updateCart(cartId, "Back", null));
            api.carts.convertCart(ConvertCartRequest.newBuilder().setStoreId(store).setCartId(cartId).setTransactionId("T").build());

            await().atMost(10, TimeUnit.SECONDS).until(() -> seen.size() >= 5);
            assertThat(seen).extracting(CartEvent::getType).containsExactly(CartEventType.CART_EVENT_TYPE_CREATED,
                    CartEventType.CART_EVENT_TYPE_CHANGED, CartEventType.CART_EVENT_TYPE_ABANDONED,
                    CartEventType.CART_EVENT_TYPE_REOPENED, CartEventType.CART_EVENT_TYPE_CONVERTED);
            assertThat(seen.get(0).getCart().getItemsList()).hasSize(1);
            assertThat(seen.get(1).getCart().getStatus()).isEqualTo("Pay");
            assertThat(seen.get(2).getCart().getEpisode()).isEqualTo(1);
            assertThat(seen.get(4).getCart().getRecovered()).isTrue();
            for (int i = 1; i < seen.size(); i++) {
                assertThat(seen.get(i).getSequence()).isGreaterThan(seen.get(i - 1).getSequence());
            }
        } finally {
            stream.cancel(null);
        }
    }

    @Test
    void aConsumerResumingAfterItsLastSequenceGetsExactlyTheRestWithNoGap() {
        List<CartEvent> all = new CopyOnWriteArrayList<>();
        Context.CancellableContext full = watch(0, null, all);
        List<CartEvent> firstHalf = new CopyOnWriteArrayList<>();
        Context.CancellableContext first = watch(0, null, firstHalf);
        try {
            for (int i = 0; i < 30; i++) {
                api.submit(store, addCart(newId("c-"), null, Integer.toString(i)));
            }
            await().atMost(10, TimeUnit.SECONDS).until(() -> !firstHalf.isEmpty()
                    && firstHalf.get(firstHalf.size() - 1).getCart().getStoreId().equals(store)
                    && firstHalf.stream().filter(e -> e.getCart().getStoreId().equals(store)).count() == 30);
            first.cancel(null);
            long resumeAfter = firstHalf.get(firstHalf.size() - 1).getSequence();
            for (int i = 0; i < 30; i++) {
                api.submit(store, addCart(newId("d-"), null, Integer.toString(i)));
            }
            List<CartEvent> rest = new CopyOnWriteArrayList<>();
            Context.CancellableContext resumed = watch(resumeAfter, null, rest);
            try {
                await().atMost(10, TimeUnit.SECONDS).until(() -> rest.stream().filter(e -> e.getCart().getStoreId().equals(store)).count() == 30);
                await().atMost(10, TimeUnit.SECONDS).until(() -> all.size() >= firstHalf.size() + rest.size());
                List<Long> joined = new ArrayList<>();
                firstHalf.stream().filter(e -> e.getCart().getStoreId().equals(store)).forEach(e -> joined.add(e.getSequence()));
                rest.forEach(e -> joined.add(e.getSequence()));
                List<Long> expected = all.stream().filter(e -> e.getCart().getStoreId().equals(store))
                        .map(CartEvent::getSequence).toList();
                assertThat(joined).hasSize(60).isEqualTo(expected);
                for (int i = 1; i < expected.size(); i++) {
                    assertThat(expected.get(i)).as("gap-free sequence").isEqualTo(expected.get(i - 1) + 1);
                }
            } finally {
                resumed.cancel(null);
            }
        } finally {
            full.cancel(null);
            first.cancel(null);
        }
    }
}
