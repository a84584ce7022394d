package org.relance.edge.connectors;

import static org.relance.edge.connectors.Payloads.first;
import static org.relance.edge.connectors.Payloads.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * WooCommerce webhooks (REST API v3 payloads, topic in {@code X-WC-Webhook-Topic}) as Relance
 * facts. WooCommerce sends no webhook for a cart or an abandoned checkout: an order that waits for
 * its payment is the closest thing, so pending, on-hold and failed orders are tracked as carts
 * (of id {@code wc-order-<id>}) and a paid one as the purchase converting that cart.
 */
final class WooCommerceMapping {
    /** Order statuses that are a cart still to be paid. */
    static final Set<String> CART_STATUSES = Set.of("pending", "on-hold", "failed", "checkout-draft");
    /** Order statuses that are a purchase. */
    static final Set<String> PURCHASE_STATUSES = Set.of("processing", "completed");

    private WooCommerceMapping() {
    }

    /** The Relance cart id of a WooCommerce order (prefixed: a tracker on the same shop has its own cart ids). */
    static String cartId(String orderId) {
        return "wc-order-" + orderId;
    }

    static Mapped map(String topic, byte[] body, String storeCurrency) {
        String t = topic == null ? "" : topic.toLowerCase(Locale.ROOT);
        switch (t) {
            case "order.created", "order.updated":
                return order(Payloads.parse(body), storeCurrency);
            case "customer.created", "customer.updated":
                return customer(Payloads.parse(body));
            default:
                return Mapped.ignored("TOPIC_NOT_MAPPED");
        }
    }

    private static Mapped order(JsonNode o, String storeCurrency) {
        String id = Payloads.required(o, "id", "the order");
        String status = first(text(o, "status"), "").toLowerCase(Locale.ROOT);
        JsonNode billing = o.path("billing");
        // WooCommerce core has no marketing consent: contacts from it get none (docs/connectors.md).
        Mapped.Contact contact = Payloads.contact(text(billing, "email"), text(billing, "first_name"), text(billing, "last_name"),
                text(billing, "phone"), null, null, null, false);
        boolean cartLike = CART_STATUSES.contains(status);
        if (!cartLike && !PURCHASE_STATUSES.contains(status)) {
            return new Mapped(contact, null, null, "ORDER_STATUS_NOT_MAPPED", null, null);
        }
        String currency = first(text(o, "currency"), storeCurrency);
        if (!currency.equalsIgnoreCase(storeCurrency)) {
            return new Mapped(contact, null, null, null, null, null).withRefusal(Payloads.CURRENCY_MISMATCH,
                    "order " + id + " is in " + currency + " and the store counts in " + storeCurrency
                            + "; Relance converts no amounts, so the order is not tracked");
        }
        BigDecimal total = Payloads.amount(o, "total");
        if (total == null) {
            throw new MappingException(Payloads.INVALID_PAYLOAD, "order " + id + " has no total");
        }
        List<Mapped.Line> lines = new ArrayList<>();
        JsonNode items = o.path("line_items");
        for (int i = 0; i < items.size(); i++) {
            JsonNode line = items.get(i);
            int quantity = Payloads.quantity(line, "line_items[" + i + "]");
            BigDecimal lineTotal = Payloads.amount(line, "total");
            BigDecimal unit = Payloads.amount(line, "price");
            if (lineTotal == null && unit == null) {
                throw new MappingException(Payloads.INVALID_PAYLOAD, "line_items[" + i + "] has no total");
            }
            if (unit == null) {
                unit = lineTotal.divide(BigDecimal.valueOf(quantity), 9, RoundingMode.HALF_EVEN).stripTrailingZeros();
            }
            if (lineTotal == null) {
                lineTotal = unit.multiply(BigDecimal.valueOf(quantity));
            }
            lines.add(new Mapped.Line(productId(line, i), Payloads.name(first(text(line, "name"), text(line, "sku"), "?")), unit,
                    quantity, lineTotal, Payloads.url(text(line.path("image"), "src"))));
        }
        if (cartLike) {
            Mapped.CartSnapshot cart = new Mapped.CartSnapshot(cartId(id), storeCurrency, total, "wc-" + status,
                    Payloads.merge(lines), text(o, "payment_url"), Payloads.time(o, "date_modified_gmt"));
            return new Mapped(contact, cart, null, null, null, null);
        }
        BigDecimal tax = Payloads.amount(o, "total_tax");
        BigDecimal shipping = Payloads.amount(o, "shipping_total");
        String via = text(o, "created_via");
        Mapped.Purchase purchase = new Mapped.Purchase(id, cartId(id), storeCurrency, total, tax == null ? BigDecimal.ZERO : tax,
                shipping == null ? BigDecimal.ZERO : shipping, Payloads.merge(lines),
                first(Payloads.time(o, "date_paid_gmt"), Payloads.time(o, "date_created_gmt")),
                via == null ? "woocommerce" : Payloads.name("woocommerce:" + via));
        return new Mapped(contact, null, purchase, null, null, null);
    }

    private static Mapped customer(JsonNode c) {
        String email = first(text(c, "email"), text(c.path("billing"), "email"));
        if (email == null) {
            return Mapped.ignored("NO_EMAIL");
        }
        return new Mapped(Payloads.contact(email, first(text(c, "first_name"), text(c.path("billing"), "first_name")),
                first(text(c, "last_name"), text(c.path("billing"), "last_name")), text(c.path("billing"), "phone"),
                null, null, null, true), null, null, null, null, null);
    }

    /** The variation is what was bought; the product when there is none (0 means none). */
    private static String productId(JsonNode line, int index) {
        String variation = text(line, "variation_id");
        if (variation != null && !"0".equals(variation)) {
            return variation;
        }
        String product = text(line, "product_id");
        if (product != null && !"0".equals(product)) {
            return product;
        }
        // A deleted product leaves 0: the line's own id keeps it apart from the others.
        return "wc-line-" + first(text(line, "id"), Integer.toString(index));
    }
}
