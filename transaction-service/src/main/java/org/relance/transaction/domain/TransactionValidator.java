package org.relance.transaction.domain;

import java.math.BigDecimal;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.relance.kit.error.Violations;

/** The limits of seed 000 on a transaction and its items, checked before anything is written. */
public final class TransactionValidator {
    /** idTransaction, idCart, affiliation, idProduct, names and categories. */
    public static final int TEXT_MAX = 500;
    /** Store and site ids. */
    public static final int ID_MAX = 63;
    /** Visitor and contact ids. */
    public static final int PERSON_ID_MAX = 200;
    /** Items in one transaction. */
    public static final int ITEMS_MAX = 1000;
    /** Largest quantity of one line. */
    public static final int QUANTITY_MAX = 1_000_000;
    /** Largest amount accepted. */
    public static final BigDecimal AMOUNT_MAX = new BigDecimal("1000000000000");

    private TransactionValidator() {
    }

    /** Adds to {@code v} every violation of {@code t}, with field paths under {@code prefix} ("transaction."). */
    public static void check(Transaction t, String prefix, Violations v) {
        v.requireText(prefix + "store_id", t.storeId(), ID_MAX);
        v.requireText(prefix + "transaction_id", t.transactionId(), TEXT_MAX);
        v.optionalText(prefix + "cart_id", t.cartId(), TEXT_MAX);
        v.optionalText(prefix + "site_id", t.siteId(), ID_MAX);
        v.optionalText(prefix + "contact_id", t.contactId(), PERSON_ID_MAX);
        v.optionalText(prefix + "visitor_id", t.visitorId(), PERSON_ID_MAX);
        v.optionalText(prefix + "affiliation", t.affiliation(), TEXT_MAX);
        v.amount(prefix + "revenue", t.revenue(), true, AMOUNT_MAX);
        v.amount(prefix + "tax", t.tax(), true, AMOUNT_MAX);
        v.amount(prefix + "shipping", t.shipping(), true, AMOUNT_MAX);
        List<TransactionItem> items = t.items();
        if (items.size() > ITEMS_MAX) {
            v.add(prefix + "items", "at most " + ITEMS_MAX + " items (got " + items.size() + ")");
            return;
        }
        Set<String> products = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            TransactionItem item = items.get(i);
            String p = prefix + "items[" + i + "].";
            v.requireText(p + "product_id", item.productId(), TEXT_MAX);
            v.requireText(p + "product_name", item.productName(), TEXT_MAX);
            v.optionalText(p + "category", item.category(), TEXT_MAX);
            v.optionalText(p + "category_id", item.categoryId(), TEXT_MAX);
            v.amount(p + "unit_price", item.unitPrice(), true, AMOUNT_MAX);
            v.amount(p + "total_price", item.totalPrice(), true, AMOUNT_MAX);
            if (item.quantity() < 1 || item.quantity() > QUANTITY_MAX) {
                v.add(p + "quantity", "must be an integer from 1 to " + QUANTITY_MAX + " (got " + item.quantity() + ")");
            }
            if (item.productId() != null && !item.productId().isEmpty() && !products.add(item.productId())) {
                v.add(p + "product_id", "product " + item.productId() + " appears twice; give one line per product");
            }
        }
    }
}
