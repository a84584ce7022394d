package org.relance.cart;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.Cart;
import org.relance.api.cart.v1.CartItem;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.SubmitCartResponse;
import org.relance.api.common.v1.Money;
import org.relance.cart.support.CartApi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.relance.cart.support.CartApi.addCart;
import static org.relance.cart.support.CartApi.addItem;
import static org.relance.cart.support.CartApi.clear;
import static org.relance.cart.support.CartApi.decimal;
import static org.relance.cart.support.CartApi.newId;
import static org.relance.cart.support.CartApi.reason;
import static org.relance.cart.support.CartApi.removeItem;
import static org.relance.cart.support.CartApi.updateCart;
import static org.relance.cart.support.CartApi.updateItem;
import static org.relance.cart.support.CartApi.violations;

/** SubmitCart over a real gRPC socket on a real PostgreSQL: the semantics of seed 000. */
@QuarkusTest
class CartSubmitIT {
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

    @Test
    void seedExampleNewCartIsStoredWithItsItem() {
        String cartId = newId("C001-");
        SubmitCartResponse response = api.submit(store,
                addCart(cartId, "SelectProducts", "870"),
                CartOperation.newBuilder().setAddCartItem(org.relance.api.cart.v1.AddCartItemOperation.newBuilder()
                        .setCartId(cartId).setProductId("1234").setProductName("M-260").setCategory("PC")
                        .setCategoryId("123").setUnitPrice(CartApi.money("870")).setQuantity(1)).build());

        assertThat(response.getCartIdsList()).containsExactly(cartId);
        Cart cart = api.cart(store, cartId);
        assertThat(cart.getState()).isEqualTo(CartState.CART_STATE_ACTIVE);
        assertThat(cart.getStatus()).isEqualTo("SelectProducts");
        assertThat(decimal(cart.getTotalPrice())).isEqualByComparingTo("870");
        assertThat(cart.getTotalPrice().getCurrencyCode()).isEqualTo("EUR");
        assertThat(cart.getItemsList()).singleElement().satisfies(item -> {
            assertThat(item.getProductId()).isEqualTo("1234");
            assertThat(item.getProductName()).isEqualTo("M-260");
            assertThat(item.getCategory()).isEqualTo("PC");
            assertThat(item.getCategoryId()).isEqualTo("123");
            assertThat(decimal(item.getUnitPrice())).isEqualByComparingTo("870");
            assertThat(item.getQuantity()).isEqualTo(1);
        });
    }

    @Test
    void seedSecondExampleChangesACartThisPageNeverCreated() {
        String cartId = newId("C012-");
        api.submit(store, removeItem(cartId, "222"), removeItem(cartId, "333"),
                updateItem(cartId, "111", "Cable HDMI", "19.99", 1));

        Cart cart = api.cart(store, cartId);
        assertThat(cart.getItemsList()).extracting(CartItem::getProductId).containsExactly("111");
        assertThat(decimal(cart.getItems(0).getUnitPrice())).isEqualByComparingTo("19.99");
        assertThat(cart.hasTotalPrice()).as("no TotalPrice was ever given").isFalse();
    }

    @Test
    void itemChangesNeverTouchTheTotalUnlessUpdateCartSaysSo() {
        String cartId = newId("c-");
        api.submit(store, addCart(cartId, null, "50.00"), addItem(cartId, "p1", "Mouse", "25.00", 2));
        api.submit(store, removeItem(cartId, "p1"));
        assertThat(decimal(api.cart(store, cartId).getTotalPrice())).isEqualByComparingTo("50.00");
        api.submit(store, addItem(cartId, "p2", "Keyboard", "30", 1), updateCart(cartId, "CheckOutStep", "30"));
        Cart cart = api.cart(store, cartId);
        assertThat(decimal(cart.getTotalPrice())).isEqualByComparingTo("30");
        assertThat(cart.getStatus()).isEqualTo("CheckOutStep");
    }

    @Test
    void moneyStaysExactToTheNanoUnit() {
        String cartId = newId("c-");
        api.submit(store, addCart(cartId, null, "0.1"), addItem(cartId, "p", "Thing", "123456789.123456789", 3),
                updateCart(cartId, null, "370370367.370370367"));
        Cart cart = api.cart(store, cartId);
        assertThat(decimal(cart.getTotalPrice())).isEqualByComparingTo(new BigDecimal("370370367.370370367"));
        assertThat(decimal(cart.getItems(0).getUnitPrice())).isEqualByComparingTo(new BigDecimal("123456789.123456789"));
    }

    @Test
    void addingAProductAlreadyInTheCartIsRefusedAndChangesNothing() {
        String cartId = newId("c-");
        api.submit(store, addCart(cartId, null, "10"), addItem(cartId, "p1", "Pen", "10", 1));
        Cart before = api.cart(store, cartId);

        assertThatThrownBy(() -> api.submit(store, updateCart(cartId, "Other", "99"), addItem(cartId, "p1", "Pen", "10", 1)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(reason(e)).isEqualTo("PRODUCT_ALREADY_IN_CART");
                    assertThat(e.getStatus().getDescription()).contains("operations[1]").contains("UpdateCartItem");
                });
        assertThat(api.cart(store, cartId)).isEqualTo(before);
    }

    @Test
    void updateCartItemChangesOnlyTheFieldsGiven() {
        String cartId = newId("c-");
        api.submit(store, addItem(cartId, "p1", "Pen", "10", 1));
        api.submit(store, updateItem(cartId, "p1", null, null, 4));
        CartItem item = api.cart(store, cartId).getItems(0);
        assertThat(item.getQuantity()).isEqualTo(4);
        assertThat(item.getProductName()).isEqualTo("Pen");
        assertThat(decimal(item.getUnitPrice())).isEqualByComparingTo("10");
    }

    @Test
    void updateCartItemOnAnAbsentProductNeedsNamePriceAndQuantity() {
        String cartId = newId("c-");
        api.submit(store, addCart(cartId, null, "1"));
        assertThatThrownBy(() -> api.submit(store, updateItem(cartId, "p9", null, null, 2)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(violations(e)).extracting(v -> v.getField())
                            .containsExactlyInAnyOrder("operations[0].product_name", "operations[0].unit_price");
                });
        assertThat(api.cart(store, cartId).getItemsList()).isEmpty();
    }

    @Test
    void clearCartRemovesEveryItem() {
        String cartId = newId("c-");
        api.submit(store, addCart(cartId, null, "3"), addItem(cartId, "a", "A", "1", 1), addItem(cartId, "b", "B", "2", 1));
        api.submit(store, clear(cartId));
        Cart cart = api.cart(store, cartId);
        assertThat(cart.getItemsList()).isEmpty();
        assertThat(decimal(cart.getTotalPrice())).isEqualByComparingTo("3");
    }

    @Test
    void anInvalidOperationRejectsTheWholeSubmitWithEveryViolation() {
        String cartId = newId("c-");
        String longText = "x".repeat(501);
        assertThatThrownBy(() -> api.submit(store,
                addCart(cartId, "s".repeat(51), "10"),
                addItem(cartId, "p1", "Pen", "-1", 0),
                addItem(longText, longText, longText, "1", 1),
                updateItem(cartId, "p\u0000", null, null, null),
                CartOperation.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(violations(e)).extracting(v -> v.getField()).containsExactlyInAnyOrder(
                            "operations[0].status", "operations[1].unit_price", "operations[1].quantity",
                            "operations[2].cart_id", "operations[2].product_id", "operations[2].product_name",
                            "operations[3].product_id", "operations[4]");
                });
        assertThatThrownBy(() -> api.cart(store, cartId))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void limitsAreExactlyThoseOfTheSeed() {
        String atLimit = "x".repeat(500);
        api.submit(store, addCart(atLimit, "s".repeat(50), "0"), addItem(atLimit, atLimit, atLimit, "0", 1));
        assertThat(api.cart(store, atLimit).getItems(0).getProductName()).hasSize(500);

        List<CartOperation> tooMany = new ArrayList<>();
        for (int i = 0; i < 501; i++) {
            tooMany.add(updateCart("c", null, "1"));
        }
        assertThatThrownBy(() -> api.submit(store, tooMany.toArray(CartOperation[]::new)))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(violations(e)).extracting(v -> v.getField()).containsExactly("operations"));
        assertThatThrownBy(() -> api.carts.submitCart(SubmitCartRequest.newBuilder().setStoreId(store).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(violations(e)).extracting(v -> v.getField()).containsExactlyInAnyOrder("submit_id", "operations"));
    }

    @Test
    void malformedMoneyIsRefused() {
        String cartId = newId("c-");
        CartOperation bad = CartOperation.newBuilder().setAddCart(org.relance.api.cart.v1.AddCartOperation.newBuilder()
                .setCartId(cartId).setTotalPrice(Money.newBuilder().setUnits(1).setNanos(-5))).build();
        CartOperation otherCurrency = CartOperation.newBuilder().setUpdateCart(org.relance.api.cart.v1.UpdateCartOperation.newBuilder()
                .setCartId(cartId).setTotalPrice(Money.newBuilder().setCurrencyCode("USD").setUnits(1))).build();
        assertThatThrownBy(() -> api.submit(store, bad))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(violations(e)).extracting(v -> v.getField()).containsExactly("operations[0].total_price.nanos"));
        assertThatThrownBy(() -> api.submit(store, otherCurrency))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(violations(e)).singleElement().satisfies(v -> {
                        assertThat(v.getField()).isEqualTo("operations[0].total_price.currency_code");
                        assertThat(v.getDescription()).contains("EUR");
                    });
                });
    }

    @Test
    void anUnknownStoreIsNotFound() {
        assertThatThrownBy(() -> api.submit("no-such-store", addCart("c", null, "1")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).contains("no-such-store");
                });
    }

    @Test
    void submitWithSameIdIsAppliedOnceAndAnsweredTheSame() {
        String cartId = newId("c-");
        SubmitCartRequest request = CartApi.request(store, addCart(cartId, null, "5"), addItem(cartId, "p", "P", "5", 1)).build();
        SubmitCartResponse first = api.carts.submitCart(request);
        Cart afterFirst = api.cart(store, cartId);
        SubmitCartResponse again = api.carts.submitCart(request);
        assertThat(again).isEqualTo(first);
        assertThat(api.cart(store, cartId)).isEqualTo(afterFirst);
    }

    @Test
    void aSubmitIdReusedWithOtherContentIsRefused() {
        String cartId = newId("c-");
        SubmitCartRequest request = CartApi.request(store, addCart(cartId, null, "5")).build();
        api.carts.submitCart(request);
        SubmitCartRequest changed = request.toBuilder().setOperations(0, updateCart(cartId, null, "6")).build();
        assertThatThrownBy(() -> api.carts.submitCart(changed))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS));
        assertThat(decimal(api.cart(store, cartId).getTotalPrice())).isEqualByComparingTo("5");
    }

    @Test
    void racingSubmitsOnOneCartLeaveTheStateOfOneOrder() throws Exception {
        String cartId = newId("race-");
        api.submit(store, addCart(cartId, null, "0"));
        int n = 24;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<SubmitCartResponse>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                calls.add(() -> api.submit(store, addItem(cartId, "p" + k, "Product " + k, "1", 1),
                        updateCart(cartId, "step-" + k, Integer.toString(k + 1))));
            }
            for (Future<SubmitCartResponse> f : pool.invokeAll(calls)) {
                f.get();
            }
            // Two submits adding the same product: exactly one wins.
            List<Callable<String>> duel = Collections.nCopies(2, () -> {
                try {
                    api.submit(store, addItem(cartId, "same", "Same", "1", 1));
                    return "ok";
                } catch (StatusRuntimeException e) {
                    return reason(e);
                }
            });
            List<String> outcomes = new ArrayList<>();
            for (Future<String> f : pool.invokeAll(duel)) {
                outcomes.add(f.get());
            }
            assertThat(outcomes).containsExactlyInAnyOrder("ok", "PRODUCT_ALREADY_IN_CART");
        } finally {
            pool.shutdownNow();
        }
        Cart cart = api.cart(store, cartId);
        assertThat(cart.getItemsList()).hasSize(n + 1);
        // Status and total come from the same submit: the one applied last.
        String step = cart.getStatus();
        int k = Integer.parseInt(step.substring("step-".length()));
        assertThat(decimal(cart.getTotalPrice())).isEqualByComparingTo(Integer.toString(k + 1));
    }
}
