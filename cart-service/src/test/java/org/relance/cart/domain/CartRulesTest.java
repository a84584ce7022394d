package org.relance.cart.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.relance.kit.error.InvalidArgumentException;
import org.relance.kit.error.RuleViolationException;
import org.relance.kit.error.Violations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CartRulesTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final Instant T1 = Instant.parse("2026-11-22T10:05:00Z");

    private static Cart apply(Cart cart, CartOperation op) {
        return CartRules.apply(cart, op, 0, "s", "EUR", T1);
    }

    @Test
    void anyCallOnAnUnknownCartCreatesIt() {
        Cart cart = apply(null, new CartOperation.RemoveCartItem("c", "p"));
        assertThat(cart.state()).isEqualTo(CartState.ACTIVE);
        assertThat(cart.items()).isEmpty();
        assertThat(cart.createTime()).isEqualTo(T1);
        assertThat(CartRules.eventFor(null)).isEqualTo(CartEventType.CREATED);
    }

    @Test
    void itemCallsKeepTheTotal() {
        Cart cart = apply(null, new CartOperation.AddCart("c", null, new BigDecimal("50")));
        cart = apply(cart, new CartOperation.AddCartItem("c", "p", "P", null, null, new BigDecimal("20"), 1));
        cart = apply(cart, new CartOperation.RemoveCartItem("c", "p"));
        assertThat(cart.totalPrice()).isEqualByComparingTo("50");
    }

    @Test
    void addingTheSameProductTwiceIsARuleViolation() {
        Cart cart = apply(null, new CartOperation.AddCartItem("c", "p", "P", null, null, BigDecimal.ONE, 1));
        Cart finalCart = cart;
        assertThatThrownBy(() -> apply(finalCart, new CartOperation.AddCartItem("c", "p", "P", null, null, BigDecimal.ONE, 1)))
                .isInstanceOfSatisfying(RuleViolationException.class,
                        e -> assertThat(e.reason()).isEqualTo(CartRules.PRODUCT_ALREADY_IN_CART));
    }

    @Test
    void aChangeReopensAnAbandonedCartAndAConvertedCartIsClosed() {
        Cart abandoned = Cart.create("s", "c", "EUR", T0).toBuilder().state(CartState.ABANDONED).episode(1).build();
        Cart reopened = apply(abandoned, new CartOperation.UpdateCart("c", "Back", null));
        assertThat(reopened.state()).isEqualTo(CartState.ACTIVE);
        assertThat(reopened.episode()).isEqualTo(1);
        assertThat(reopened.updateTime()).isEqualTo(T1);
        assertThat(CartRules.eventFor(abandoned)).isEqualTo(CartEventType.REOPENED);

        Cart converted = abandoned.toBuilder().state(CartState.CONVERTED).transactionId("T9").build();
        assertThatThrownBy(() -> apply(converted, new CartOperation.ClearCart("c")))
                .isInstanceOfSatisfying(RuleViolationException.class, e -> {
                    assertThat(e.reason()).isEqualTo(CartRules.CART_CONVERTED);
                    assertThat(e.getMessage()).contains("T9");
                });
    }

    @Test
    void updateCartItemAddsACompleteLineAndRefusesAnIncompleteOne() {
        Cart added = apply(null, new CartOperation.UpdateCartItem("c", "111", "Cable HDMI", null, null, new BigDecimal("19.99"), 1));
        assertThat(added.items()).extracting(CartItem::productId).containsExactly("111");
        assertThatThrownBy(() -> apply(null, new CartOperation.UpdateCartItem("c", "222", null, null, null, null, 3)))
                .isInstanceOf(InvalidArgumentException.class);
    }

    @Test
    void validatorReportsEveryLimit() {
        Violations v = new Violations();
        SubmitValidator.check(new Submit("s", "id", null, null, null, List.of(
                new CartOperation.AddCartItem("c", "p", "n", "x".repeat(501), null, new BigDecimal("-0.01"), 1_000_001)),
                new byte[0], Map.of()), v);
        assertThatThrownBy(v::throwIfAny).isInstanceOfSatisfying(InvalidArgumentException.class, e ->
                assertThat(e.violations()).extracting(f -> f.field()).containsExactlyInAnyOrder(
                        "operations[0].category", "operations[0].unit_price", "operations[0].quantity"));
    }
}
