package org.relance.cart.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.relance.kit.error.FieldViolation;
import org.relance.kit.error.InvalidArgumentException;
import org.relance.kit.error.RuleViolationException;

/**
 * How a cart call changes a cart (seed 000): item calls never touch TotalPrice, a call on an
 * unknown cart creates it, a converted cart is closed, and any change to an abandoned cart
 * makes it active again.
 */
public final class CartRules {
    /** Reason of the RuleViolation raised when AddCartItem names a product already in the cart. */
    public static final String PRODUCT_ALREADY_IN_CART = "PRODUCT_ALREADY_IN_CART";
    /** Reason of the RuleViolation raised when a converted cart would change. */
    public static final String CART_CONVERTED = "CART_CONVERTED";

    private CartRules() {
    }

    /**
     * Applies operation number {@code index} of a submit to {@code current} (null when the cart
     * does not exist yet) and returns the new state.
     */
    public static Cart apply(Cart current, CartOperation operation, int index, String storeId, String currencyCode,
                             Instant now) {
        if (current != null && current.state() == CartState.CONVERTED) {
            throw new RuleViolationException(CART_CONVERTED, "operations[" + index + "]: cart " + operation.cartId()
                    + " was converted" + (current.transactionId() == null ? "" : " by transaction " + current.transactionId())
                    + " and can no longer change; use a new idCart");
        }
        Cart cart = current != null ? current : Cart.create(storeId, operation.cartId(), currencyCode, now);
        Cart.Builder next = cart.toBuilder().updateTime(now).state(CartState.ACTIVE);
        if (operation instanceof CartOperation.AddCart add) {
            if (add.status() != null) {
                next.status(add.status());
            }
            next.totalPrice(add.totalPrice());
        } else if (operation instanceof CartOperation.UpdateCart update) {
            if (update.status() != null) {
                next.status(update.status());
            }
            if (update.totalPrice() != null) {
                next.totalPrice(update.totalPrice());
            }
        } else if (operation instanceof CartOperation.AddCartItem add) {
            if (indexOf(cart.items(), add.productId()) >= 0) {
                throw new RuleViolationException(PRODUCT_ALREADY_IN_CART, "operations[" + index + "]: product "
                        + add.productId() + " is already in cart " + add.cartId() + "; use UpdateCartItem to change it");
            }
            List<CartItem> items = new ArrayList<>(cart.items());
            items.add(new CartItem(add.productId(), add.productName(), add.category(), add.categoryId(),
                    add.unitPrice(), add.quantity()));
            next.items(items);
        } else if (operation instanceof CartOperation.UpdateCartItem update) {
            next.items(updateItem(cart.items(), update, index));
        } else if (operation instanceof CartOperation.RemoveCartItem remove) {
            int at = indexOf(cart.items(), remove.productId());
            if (at >= 0) {
                List<CartItem> items = new ArrayList<>(cart.items());
                items.remove(at);
                next.items(items);
            }
        } else if (operation instanceof CartOperation.ClearCart) {
            next.items(List.of());
        }
        return next.build();
    }

    private static List<CartItem> updateItem(List<CartItem> items, CartOperation.UpdateCartItem u, int index) {
        int at = indexOf(items, u.productId());
        List<CartItem> result = new ArrayList<>(items);
        if (at < 0) {
            List<FieldViolation> missing = new ArrayList<>();
            String prefix = "operations[" + index + "].";
            String why = "required: product " + u.productId() + " is not in the cart yet";
            if (u.productName() == null) {
                missing.add(new FieldViolation(prefix + "product_name", why));
            }
            if (u.unitPrice() == null) {
                missing.add(new FieldViolation(prefix + "unit_price", why));
            }
            if (u.quantity() == null) {
                missing.add(new FieldViolation(prefix + "quantity", why));
            }
            if (!missing.isEmpty()) {
                throw new InvalidArgumentException(missing);
            }
            result.add(new CartItem(u.productId(), u.productName(), u.category(), u.categoryId(), u.unitPrice(), u.quantity()));
            return result;
        }
        CartItem old = items.get(at);
        result.set(at, new CartItem(old.productId(),
                u.productName() != null ? u.productName() : old.productName(),
                u.category() != null ? u.category() : old.category(),
                u.categoryId() != null ? u.categoryId() : old.categoryId(),
                u.unitPrice() != null ? u.unitPrice() : old.unitPrice(),
                u.quantity() != null ? u.quantity() : old.quantity()));
        return result;
    }

    private static int indexOf(List<CartItem> items, String productId) {
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).productId().equals(productId)) {
                return i;
            }
        }
        return -1;
    }

    /** The event a submit's change produces, given the state before it (null: new cart). */
    public static CartEventType eventFor(Cart before) {
        if (before == null) {
            return CartEventType.CREATED;
        }
        return before.state() == CartState.ABANDONED ? CartEventType.REOPENED : CartEventType.CHANGED;
    }
}
