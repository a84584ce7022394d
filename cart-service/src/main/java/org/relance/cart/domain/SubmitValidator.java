package org.relance.cart.domain;

import java.math.BigDecimal;
import java.util.List;
import org.relance.kit.error.Violations;

/** The limits of seed 000 and DESIGN §4 on a submit, checked before anything is read or written. */
public final class SubmitValidator {
    /** idCart, idProduct, names and categories. */
    public static final int TEXT_MAX = 500;
    /** The free-text cart status. */
    public static final int STATUS_MAX = 50;
    /** Operations in one submit. */
    public static final int OPERATIONS_MAX = 500;
    /** A submit id. */
    public static final int SUBMIT_ID_MAX = 100;
    /** Store and site ids. */
    public static final int ID_MAX = 63;
    /** Visitor and contact ids. */
    public static final int PERSON_ID_MAX = 200;
    /** Largest quantity of one line. */
    public static final int QUANTITY_MAX = 1_000_000;
    /** Largest amount accepted (a sanity bound, far above any cart). */
    public static final BigDecimal AMOUNT_MAX = new BigDecimal("1000000000000");

    private SubmitValidator() {
    }

    /** Adds to {@code v} every violation of {@code submit}. */
    public static void check(Submit submit, Violations v) {
        v.requireText("store_id", submit.storeId(), ID_MAX);
        v.requireText("submit_id", submit.submitId(), SUBMIT_ID_MAX);
        v.optionalText("site_id", submit.siteId(), ID_MAX);
        v.optionalText("visitor_id", submit.visitorId(), PERSON_ID_MAX);
        v.optionalText("contact_id", submit.contactId(), PERSON_ID_MAX);
        List<CartOperation> ops = submit.operations();
        if (ops.isEmpty()) {
            v.add("operations", "at least one operation is required");
        } else if (ops.size() > OPERATIONS_MAX) {
            v.add("operations", "at most " + OPERATIONS_MAX + " operations per submit (got " + ops.size() + ")");
            return;
        }
        for (int i = 0; i < ops.size(); i++) {
            check(ops.get(i), "operations[" + i + "].", v);
        }
    }

    private static void check(CartOperation op, String p, Violations v) {
        if (op == null) {
            v.add(p.substring(0, p.length() - 1), "no operation set");
            return;
        }
        v.requireText(p + "cart_id", op.cartId(), TEXT_MAX);
        if (op instanceof CartOperation.AddCart add) {
            v.optionalText(p + "status", add.status(), STATUS_MAX);
            v.amount(p + "total_price", add.totalPrice(), true, AMOUNT_MAX);
        } else if (op instanceof CartOperation.UpdateCart update) {
            v.optionalText(p + "status", update.status(), STATUS_MAX);
            v.amount(p + "total_price", update.totalPrice(), false, AMOUNT_MAX);
        } else if (op instanceof CartOperation.AddCartItem add) {
            v.requireText(p + "product_id", add.productId(), TEXT_MAX);
            v.requireText(p + "product_name", add.productName(), TEXT_MAX);
            v.optionalText(p + "category", add.category(), TEXT_MAX);
            v.optionalText(p + "category_id", add.categoryId(), TEXT_MAX);
            v.amount(p + "unit_price", add.unitPrice(), true, AMOUNT_MAX);
            quantity(p + "quantity", add.quantity(), v);
        } else if (op instanceof CartOperation.UpdateCartItem update) {
            v.requireText(p + "product_id", update.productId(), TEXT_MAX);
            if (update.productName() != null) {
                v.requireText(p + "product_name", update.productName(), TEXT_MAX);
            }
            v.optionalText(p + "category", update.category(), TEXT_MAX);
            v.optionalText(p + "category_id", update.categoryId(), TEXT_MAX);
            v.amount(p + "unit_price", update.unitPrice(), false, AMOUNT_MAX);
            if (update.quantity() != null) {
                quantity(p + "quantity", update.quantity(), v);
            }
        } else if (op instanceof CartOperation.RemoveCartItem remove) {
            v.requireText(p + "product_id", remove.productId(), TEXT_MAX);
        }
    }

    private static void quantity(String field, int quantity, Violations v) {
        if (quantity < 1) {
            v.add(field, "must be a positive integer (got " + quantity + ")");
        } else if (quantity > QUANTITY_MAX) {
            v.add(field, "must be at most " + QUANTITY_MAX);
        }
    }
}
