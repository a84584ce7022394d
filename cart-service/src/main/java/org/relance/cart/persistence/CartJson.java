package org.relance.cart.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.relance.cart.domain.Cart;
import org.relance.cart.domain.CartItem;
import org.relance.cart.domain.CartSource;
import org.relance.cart.domain.CartState;
import org.relance.cart.domain.ConversionOutcome;

/**
 * The JSON form of carts and items in the database: the {@code items} column and the event
 * log's snapshots. Keys are the cart table's column names, so a snapshot written here and one
 * written by SQL ({@code to_jsonb(cart)}) read the same. Amounts stay exact decimals.
 */
final class CartJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setNodeFactory(NODES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private CartJson() {
    }

    static String items(List<CartItem> items) {
        return itemsNode(items).toString();
    }

    static List<CartItem> items(String json) {
        return items(parse(json));
    }

    static String snapshot(Cart cart) {
        ObjectNode n = NODES.objectNode();
        n.put("store_id", cart.storeId());
        n.put("cart_id", cart.cartId());
        n.put("site_id", cart.siteId());
        n.put("visitor_id", cart.visitorId());
        n.put("contact_id", cart.contactId());
        n.put("state", cart.state().code());
        n.put("status", cart.status());
        n.put("total_price", cart.totalPrice());
        n.put("currency_code", cart.currencyCode());
        n.set("items", itemsNode(cart.items()));
        n.put("episode", cart.episode());
        n.put("recovered", cart.recovered());
        if (cart.outcome() == null) {
            n.putNull("outcome");
        } else {
            n.put("outcome", cart.outcome().code());
        }
        n.put("transaction_id", cart.transactionId());
        n.put("create_time", text(cart.createTime()));
        n.put("update_time", text(cart.updateTime()));
        n.put("abandon_time", text(cart.abandonTime()));
        n.put("convert_time", text(cart.convertTime()));
        n.put("source", cart.source().code());
        return n.toString();
    }

    static Cart cart(String json) {
        JsonNode n = parse(json);
        JsonNode items = n.get("items");
        return new Cart(n.get("store_id").asText(), n.get("cart_id").asText(), str(n, "site_id"), str(n, "visitor_id"),
                str(n, "contact_id"), CartState.ofCode(n.get("state").asInt()), str(n, "status"), decimal(n, "total_price"),
                n.get("currency_code").asText(), items == null || items.isNull() ? List.of() : items(items),
                n.path("episode").asInt(), n.path("recovered").asBoolean(),
                isNull(n, "outcome") ? null : ConversionOutcome.ofCode(n.get("outcome").asInt()), str(n, "transaction_id"),
                time(n, "create_time"), time(n, "update_time"), time(n, "abandon_time"), time(n, "convert_time"),
                CartSource.ofCode(n.path("source").asInt(1)));
    }

    private static ArrayNode itemsNode(List<CartItem> items) {
        ArrayNode array = NODES.arrayNode();
        for (CartItem item : items) {
            ObjectNode i = array.addObject();
            i.put("product_id", item.productId());
            i.put("product_name", item.productName());
            i.put("category", item.category());
            i.put("category_id", item.categoryId());
            i.put("unit_price", item.unitPrice());
            i.put("quantity", item.quantity());
        }
        return array;
    }

    private static List<CartItem> items(JsonNode array) {
        List<CartItem> items = new ArrayList<>(array.size());
        for (JsonNode i : array) {
            items.add(new CartItem(i.get("product_id").asText(), i.get("product_name").asText(), str(i, "category"),
                    str(i, "category_id"), decimal(i, "unit_price"), i.get("quantity").asInt()));
        }
        return items;
    }

    private static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable cart JSON in the database", e);
        }
    }

    private static boolean isNull(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull();
    }

    private static String str(JsonNode n, String field) {
        return isNull(n, field) ? null : n.get(field).asText();
    }

    private static BigDecimal decimal(JsonNode n, String field) {
        if (isNull(n, field)) {
            return null;
        }
        JsonNode v = n.get(field);
        return v.isTextual() ? new BigDecimal(v.asText()) : v.decimalValue();
    }

    private static Instant time(JsonNode n, String field) {
        return isNull(n, field) ? null : OffsetDateTime.parse(n.get(field).asText()).toInstant();
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
