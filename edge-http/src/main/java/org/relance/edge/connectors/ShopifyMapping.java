package org.relance.edge.connectors;

import static org.relance.edge.connectors.Payloads.amount;
import static org.relance.edge.connectors.Payloads.first;
import static org.relance.edge.connectors.Payloads.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Shopify webhooks (REST payloads, topic in {@code X-Shopify-Topic}) as Relance facts; the
 * mapping field by field is in docs/connectors.md.
 */
final class ShopifyMapping {
    /** The cart status of a Shopify checkout (status is at most 50 characters; the return URL goes elsewhere). */
    static final String CHECKOUT_STATUS = "shopify-checkout";

    private ShopifyMapping() {
    }

    static Mapped map(String topic, byte[] body, String storeCurrency) {
        String t = topic == null ? "" : topic.toLowerCase(Locale.ROOT);
        switch (t) {
            case "checkouts/create", "checkouts/update":
                return checkout(Payloads.parse(body), storeCurrency);
            case "orders/create", "orders/paid":
                return order(Payloads.parse(body), storeCurrency);
            case "customers/create", "customers/update":
                return customer(Payloads.parse(body));
            default:
                return Mapped.ignored("TOPIC_NOT_MAPPED");
        }
    }

    private static Mapped checkout(JsonNode c, String storeCurrency) {
        String token = Payloads.required(c, "token", "the checkout");
        Mapped.Contact contact = buyer(c, "shopify-checkout");
        // A checkout's plain amounts are in the buyer's (presentment) currency.
        String currency = first(text(c, "presentment_currency"), text(c, "currency"), storeCurrency);
        Money money = new Money(currency, storeCurrency);
        BigDecimal total = money.pick(c, "total_price");
        List<Mapped.Line> lines = new ArrayList<>();
        JsonNode items = c.path("line_items");
        for (int i = 0; i < items.size(); i++) {
            JsonNode line = items.get(i);
            BigDecimal price = money.pick(line, "price");
            if (price == null) {
                if (money.mismatch()) {
                    break;
                }
                throw new MappingException(Payloads.INVALID_PAYLOAD, "line_items[" + i + "] has no price");
            }
            int quantity = Payloads.quantity(line, "line_items[" + i + "]");
            lines.add(new Mapped.Line(productId(line, i), productName(line), price, quantity, price.multiply(BigDecimal.valueOf(quantity)), null));
        }
        if (money.mismatch()) {
            return new Mapped(contact, null, null, null, null, null).withRefusal(Payloads.CURRENCY_MISMATCH,
                    "checkout " + token + " is in " + currency + " and the store counts in " + storeCurrency
                            + "; Relance converts no amounts, so the cart is not tracked");
        }
        if (total == null) {
            throw new MappingException(Payloads.INVALID_PAYLOAD, "checkout " + token + " has no total_price");
        }
        Mapped.CartSnapshot cart = new Mapped.CartSnapshot(token, storeCurrency, total, CHECKOUT_STATUS, Payloads.merge(lines),
                text(c, "abandoned_checkout_url"), Payloads.time(c, "updated_at"));
        return new Mapped(contact, cart, null, null, null, null);
    }

    private static Mapped order(JsonNode o, String storeCurrency) {
        String id = Payloads.required(o, "id", "the order");
        Mapped.Contact contact = buyer(o, "shopify-order");
        // An order's plain amounts are in the shop's currency; *_set fields carry both.
        Money money = new Money(first(text(o, "currency"), storeCurrency), storeCurrency);
        BigDecimal revenue = money.pick(o, "total_price");
        BigDecimal tax = money.pick(o, "total_tax");
        BigDecimal shipping = money.pick(o, "total_shipping_price");
        if (shipping == null) {
            shipping = BigDecimal.ZERO;
            for (JsonNode s : o.path("shipping_lines")) {
                BigDecimal price = money.pick(s, "price");
                shipping = price == null ? shipping : shipping.add(price);
            }
        }
        List<Mapped.Line> lines = new ArrayList<>();
        JsonNode items = o.path("line_items");
        for (int i = 0; i < items.size(); i++) {
            JsonNode line = items.get(i);
            BigDecimal price = money.pick(line, "price");
            if (price == null) {
                if (money.mismatch()) {
                    break;
                }
                throw new MappingException(Payloads.INVALID_PAYLOAD, "line_items[" + i + "] has no price");
            }
            int quantity = Payloads.quantity(line, "line_items[" + i + "]");
            BigDecimal discount = money.pick(line, "total_discount");
            BigDecimal total = price.multiply(BigDecimal.valueOf(quantity)).subtract(discount == null ? BigDecimal.ZERO : discount).max(BigDecimal.ZERO);
            lines.add(new Mapped.Line(productId(line, i), productName(line), price, quantity, total, null));
        }
        if (money.mismatch()) {
            return new Mapped(contact, null, null, null, null, null).withRefusal(Payloads.CURRENCY_MISMATCH,
                    "order " + id + " has no amounts in the store's currency " + storeCurrency + " (it is in "
                            + money.currency + "); Relance converts no amounts, so the purchase is not recorded");
        }
        if (revenue == null) {
            throw new MappingException(Payloads.INVALID_PAYLOAD, "order " + id + " has no total_price");
        }
        String source = text(o, "source_name");
        Instant when = first(Payloads.time(o, "processed_at"), Payloads.time(o, "created_at"));
        Mapped.Purchase purchase = new Mapped.Purchase(id, text(o, "checkout_token"), storeCurrency, revenue,
                tax == null ? BigDecimal.ZERO : tax, shipping, Payloads.merge(lines), when,
                source == null ? "shopify" : Payloads.name("shopify:" + source));
        return new Mapped(contact, null, purchase, null, null, null);
    }

    private static Mapped customer(JsonNode c) {
        String email = text(c, "email");
        if (email == null) {
            // Contacts are found by e-mail; a customer known by phone only would become a second person later.
            return Mapped.ignored("NO_EMAIL");
        }
        String consent = null;
        Instant consentTime = null;
        JsonNode emailConsent = c.get("email_marketing_consent");
        if (emailConsent != null && emailConsent.isObject()) {
            consent = consentOf(text(emailConsent, "state"));
            consentTime = Payloads.time(emailConsent, "consent_updated_at");
        } else if (c.hasNonNull("accepts_marketing")) {
            consent = c.get("accepts_marketing").asBoolean() ? "granted" : "denied";
            consentTime = Payloads.time(c, "accepts_marketing_updated_at");
        }
        return new Mapped(Payloads.contact(email, text(c, "first_name"), text(c, "last_name"), text(c, "phone"), consent,
                "shopify-customer", consentTime, true), null, null, null, null, null);
    }

    /** Shopify's e-mail consent states; {@code pending} (double opt-in not confirmed yet) changes nothing. */
    static String consentOf(String state) {
        if (state == null) {
            return null;
        }
        switch (state.toLowerCase(Locale.ROOT)) {
            case "subscribed":
                return "granted";
            case "unsubscribed":
                return "withdrawn";
            case "not_subscribed", "invalid", "redacted":
                return "denied";
            default:
                return null;
        }
    }

    /**
     * The buyer of a checkout or an order. Ticking the marketing box grants consent; leaving it
     * unticked changes nothing (it does not withdraw a consent given elsewhere).
     */
    private static Mapped.Contact buyer(JsonNode n, String source) {
        JsonNode customer = n.path("customer");
        JsonNode billing = n.path("billing_address");
        JsonNode shipping = n.path("shipping_address");
        String email = first(text(n, "email"), text(n, "contact_email"), text(customer, "email"));
        String consent = n.path("buyer_accepts_marketing").asBoolean(false) ? "granted" : null;
        return Payloads.contact(email,
                first(text(customer, "first_name"), text(billing, "first_name"), text(shipping, "first_name")),
                first(text(customer, "last_name"), text(billing, "last_name"), text(shipping, "last_name")),
                first(text(n, "phone"), text(customer, "phone")),
                consent, source, null, false);
    }

    /** The variant is what was bought (its own price and title); the product when there is none. */
    private static String productId(JsonNode line, int index) {
        String variant = text(line, "variant_id");
        if (variant != null && !"0".equals(variant)) {
            return variant;
        }
        return first(text(line, "product_id"), text(line, "sku"), text(line, "key"), "line-" + index);
    }

    private static String productName(JsonNode line) {
        String name = text(line, "name");
        if (name == null) {
            String title = first(text(line, "title"), "");
            String variant = text(line, "variant_title");
            name = variant == null || "Default Title".equals(variant) ? title : title + " - " + variant;
        }
        return Payloads.name(name.isEmpty() ? first(text(line, "sku"), "?") : name);
    }

    /**
     * Amounts in the store's currency: the plain field when the payload's currency is the store's,
     * else the {@code field_set} amount (shop or presentment money) that is in the store's currency.
     */
    private static final class Money {
        final String currency;
        final String storeCurrency;
        boolean missing;

        Money(String currency, String storeCurrency) {
            this.currency = currency;
            this.storeCurrency = storeCurrency;
        }

        BigDecimal pick(JsonNode node, String field) {
            if (currency.equalsIgnoreCase(storeCurrency)) {
                BigDecimal plain = amount(node, field);
                if (plain != null) {
                    return plain;
                }
            }
            JsonNode set = node.path(field + "_set");
            for (String bag : new String[] {"shop_money", "presentment_money"}) {
                JsonNode money = set.path(bag);
                if (storeCurrency.equalsIgnoreCase(text(money, "currency_code"))) {
                    return amount(money, "amount");
                }
            }
            if (!currency.equalsIgnoreCase(storeCurrency) && (node.hasNonNull(field) || !set.isMissingNode())) {
                missing = true;
            }
            return null;
        }

        boolean mismatch() {
            return missing;
        }
    }
}
