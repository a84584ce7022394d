package org.relance.cart;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.Cart;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.ConversionOutcome;
import org.relance.api.cart.v1.ConvertCartRequest;
import org.relance.api.cart.v1.ConvertCartResponse;
import org.relance.api.cart.v1.EraseContactCartsRequest;
import org.relance.api.cart.v1.EraseContactCartsResponse;
import org.relance.api.cart.v1.LinkVisitorRequest;
import org.relance.api.cart.v1.ListCartsRequest;
import org.relance.api.cart.v1.ListCartsResponse;
import org.relance.cart.lifecycle.AbandonmentSweeper;
import org.relance.cart.lifecycle.RetentionPurge;
import org.relance.cart.support.CartApi;
import org.relance.kit.db.Database;
import org.relance.kit.db.Sql;
import org.relance.kit.time.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.relance.cart.support.CartApi.addCart;
import static org.relance.cart.support.CartApi.addItem;
import static org.relance.cart.support.CartApi.newId;
import static org.relance.cart.support.CartApi.reason;
import static org.relance.cart.support.CartApi.updateCart;

/** Abandonment episodes, conversion, retention, identity and erasure, with a controllable clock. */
@QuarkusTest
class CartLifecycleIT {
    @Inject
    MutableClock clock;
    @Inject
    AbandonmentSweeper sweeper;
    @Inject
    RetentionPurge purge;
    @Inject
    Database database;

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

    private void sweep() {
        sweeper.sweep().await().atMost(Duration.ofSeconds(30));
    }

    @Test
    void aCartIsAbandonedAfterTheDelayReopenedByAChangeAndAbandonedAgain() {
        String cartId = newId("c-");
        api.submit(store, addCart(cartId, "ValidateShippingStep", "42"), addItem(cartId, "p", "P", "42", 1));

        clock.advance(Duration.ofMinutes(59));
        sweep();
        assertThat(api.cart(store, cartId).getState()).as("not yet: 59 of 60 minutes").isEqualTo(CartState.CART_STATE_ACTIVE);

        clock.advance(Duration.ofMinutes(2));
        sweep();
        Cart abandoned = api.cart(store, cartId);
        assertThat(abandoned.getState()).isEqualTo(CartState.CART_STATE_ABANDONED);
        assertThat(abandoned.getEpisode()).isEqualTo(1);
        assertThat(abandoned.getStatus()).isEqualTo("ValidateShippingStep");
        assertThat(abandoned.hasAbandonTime()).isTrue();

        sweep();
        assertThat(api.cart(store, cartId).getEpisode()).as("a second sweep changes nothing").isEqualTo(1);

        api.submit(store, updateCart(cartId, "CheckOutStep", null));
        assertThat(api.cart(store, cartId).getState()).isEqualTo(CartState.CART_STATE_ACTIVE);

        clock.advance(Duration.ofMinutes(61));
        sweep();
        Cart again = api.cart(store, cartId);
        assertThat(again.getState()).isEqualTo(CartState.CART_STATE_ABANDONED);
        assertThat(again.getEpisode()).isEqualTo(2);
        assertThat(again.getStatus()).isEqualTo("CheckOutStep");
    }

    @Test
    void convertingAnAbandonedCartRecordsARecoveryAndClosesIt() {
        String cartId = newId("c-");
        api.submit(store, addCart(cartId, null, "10"));
        clock.advance(Duration.ofMinutes(61));
        sweep();

        ConvertCartRequest convert = ConvertCartRequest.newBuilder().setStoreId(store).setCartId(cartId)
                .setTransactionId("T-1").setContactId("contact-9").build();
        ConvertCartResponse first = api.carts.convertCart(convert);
        assertThat(first.getOutcome()).isEqualTo(ConversionOutcome.CONVERSION_OUTCOME_RECOVERED);
        assertThat(first.getCart().getState()).isEqualTo(CartState.CART_STATE_CONVERTED);
        assertThat(first.getCart().getRecovered()).isTrue();
        assertThat(first.getCart().getContactId()).isEqualTo("contact-9");

        ConvertCartResponse again = api.carts.convertCart(convert);
        assertThat(again.getOutcome()).isEqualTo(ConversionOutcome.CONVERSION_OUTCOME_RECOVERED);
        assertThat(again.getCart()).isEqualTo(first.getCart());

        assertThatThrownBy(() -> api.submit(store, updateCart(cartId, null, "11")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(reason(e)).isEqualTo("CART_CONVERTED");
                });
        clock.advance(Duration.ofMinutes(61));
        sweep();
        assertThat(api.cart(store, cartId).getState()).isEqualTo(CartState.CART_STATE_CONVERTED);
    }

    @Test
    void convertingAnActiveCartIsAPlainConversionAndAnUnknownCartIsClosedForLateSubmits() {
        String active = newId("c-");
        api.submit(store, addCart(active, null, "10"));
        ConvertCartResponse plain = api.carts.convertCart(ConvertCartRequest.newBuilder().setStoreId(store)
                .setCartId(active).setTransactionId("T-2").build());
        assertThat(plain.getOutcome()).isEqualTo(ConversionOutcome.CONVERSION_OUTCOME_CONVERTED);
        assertThat(plain.getCart().getRecovered()).isFalse();

        String unknown = newId("late-");
        ConvertCartResponse untracked = api.carts.convertCart(ConvertCartRequest.newBuilder().setStoreId(store)
                .setCartId(unknown).setTransactionId("T-3").build());
        assertThat(untracked.getOutcome()).isEqualTo(ConversionOutcome.CONVERSION_OUTCOME_UNTRACKED);
        assertThatThrownBy(() -> api.submit(store, addCart(unknown, null, "1")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(reason(e)).isEqualTo("CART_CONVERTED"));
    }

    @Test
    void cartDetailsArePurgedAfterRetention() {
        String old = newId("old-");
        api.submit(store, addCart(old, null, "1"));
        clock.advance(Duration.ofDays(14));
        String recent = newId("recent-");
        api.submit(store, addCart(recent, null, "1"));
        clock.advance(Duration.ofDays(1).plusMinutes(1));
        purge.purge().await().atMost(Duration.ofSeconds(30));

        assertThatThrownBy(() -> api.cart(store, old))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThat(api.cart(store, recent).getCartId()).isEqualTo(recent);
    }

    @Test
    void identifyingAVisitorLinksItsPastAndFutureCarts() {
        String visitor = newId("v-");
        String contact = newId("contact-");
        String first = newId("c-");
        api.carts.submitCart(CartApi.request(store, addCart(first, null, "1")).setVisitorId(visitor).build());
        assertThat(api.cart(store, first).getContactId()).isEmpty();

        int linked = api.carts.linkVisitor(LinkVisitorRequest.newBuilder().setStoreId(store).setVisitorId(visitor)
                .setContactId(contact).build()).getLinkedCartCount();
        assertThat(linked).isEqualTo(1);
        assertThat(api.cart(store, first).getContactId()).isEqualTo(contact);

        String second = newId("c-");
        api.carts.submitCart(CartApi.request(store, addCart(second, null, "2")).setVisitorId(visitor).build());
        assertThat(api.cart(store, second).getContactId()).isEqualTo(contact);

        ListCartsResponse page1 = api.carts.listCarts(ListCartsRequest.newBuilder().setContactId(contact).setPageSize(1).build());
        assertThat(page1.getCartsList()).extracting(Cart::getCartId).containsExactly(second);
        ListCartsResponse page2 = api.carts.listCarts(ListCartsRequest.newBuilder().setContactId(contact).setPageSize(1)
                .setPageToken(page1.getNextPageToken()).build());
        assertThat(page2.getCartsList()).extracting(Cart::getCartId).containsExactly(first);
        assertThat(page2.getNextPageToken()).isEmpty();
    }

    @Test
    void aCartSubmittedWhileItsVisitorIsIdentifiedBelongsToTheContact() throws Exception {
        // Found by the chaos suite: a submit and a link of the same new visitor at the same moment
        // could leave the cart without its contact. Each pair races here; every cart must end linked.
        org.relance.api.cart.v1.CartServiceGrpc.CartServiceFutureStub async =
                org.relance.api.cart.v1.CartServiceGrpc.newFutureStub(api.channel).withCallCredentials(new org.relance.kit.grpc.BearerToken(CartApi.TOKEN));
        java.util.List<com.google.common.util.concurrent.ListenableFuture<?>> calls = new java.util.ArrayList<>();
        java.util.Map<String, String> contactOfCart = new java.util.HashMap<>();
        for (int i = 0; i < 150; i++) {
            String visitor = newId("race-v-");
            String contact = newId("race-c-");
            String cart = newId("race-");
            contactOfCart.put(cart, contact);
            calls.add(async.submitCart(CartApi.request(store, addCart(cart, null, "1")).setVisitorId(visitor).build()));
            calls.add(async.linkVisitor(LinkVisitorRequest.newBuilder().setStoreId(store).setVisitorId(visitor).setContactId(contact).build()));
        }
        com.google.common.util.concurrent.Futures.allAsList(calls).get(60, java.util.concurrent.TimeUnit.SECONDS);
        for (java.util.Map.Entry<String, String> e : contactOfCart.entrySet()) {
            assertThat(api.cart(store, e.getKey()).getContactId()).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void erasingAContactLeavesNoRowAndRefusesFurtherTracking() {
        String visitor = newId("v-");
        String contact = newId("contact-");
        String viaVisitor = newId("c-");
        String direct = newId("c-");
        api.carts.submitCart(CartApi.request(store, addCart(viaVisitor, null, "1")).setVisitorId(visitor).build());
        api.carts.linkVisitor(LinkVisitorRequest.newBuilder().setStoreId(store).setVisitorId(visitor).setContactId(contact).build());
        api.carts.submitCart(CartApi.request(store, addCart(direct, null, "2"), addItem(direct, "p", "P", "2", 1))
                .setContactId(contact).build());

        EraseContactCartsResponse erased = api.carts.eraseContactCarts(EraseContactCartsRequest.newBuilder()
                .setContactId(contact).build());
        assertThat(erased.getDeletedCartCount()).isEqualTo(2);
        assertThat(erased.getDeletedVisitorCount()).isEqualTo(1);

        long cartRows = count("SELECT count(*) AS n FROM cart WHERE contact_id = $1 OR visitor_id = $2", contact, visitor);
        long detailedEvents = count("SELECT count(*) AS n FROM cart_event WHERE store_id = $1 AND cart_id = ANY($2::text[]) "
                + "AND event_type <> 8", store, new String[] {viaVisitor, direct});
        long links = count("SELECT count(*) AS n FROM visitor_contact WHERE contact_id = $1", contact);
        assertThat(cartRows + detailedEvents + links).isZero();

        for (var request : new org.relance.api.cart.v1.SubmitCartRequest[] {
                CartApi.request(store, addCart(newId("c-"), null, "1")).setContactId(contact).build(),
                CartApi.request(store, addCart(newId("c-"), null, "1")).setVisitorId(visitor).build()}) {
            assertThatThrownBy(() -> api.carts.submitCart(request))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(reason(e)).isEqualTo("CONTACT_SUPPRESSED"));
        }
    }

    private long count(String sql, Object... args) {
        return database.withConnection(c -> Sql.query(c, sql, row -> row.get("n", Long.class), args)).blockFirst();
    }
}
