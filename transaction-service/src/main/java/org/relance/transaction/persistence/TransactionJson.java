package org.relance.transaction.persistence;

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
import org.relance.transaction.domain.CartConversion;
import org.relance.transaction.domain.Transaction;
import org.relance.transaction.domain.TransactionItem;

/** Transactions as JSON in the event log; keys are the table's column names, amounts exact. */
final class TransactionJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
    private static final ObjectMapper MAPPER = new ObjectMapper().setNodeFactory(NODES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private TransactionJson() {
    }

    static String write(Transaction t) {
        ObjectNode n = NODES.objectNode();
        n.put("store_id", t.storeId());
        n.put("transaction_id", t.transactionId());
        n.put("cart_id", t.cartId());
        n.put("site_id", t.siteId());
        n.put("contact_id", t.contactId());
        n.put("visitor_id", t.visitorId());
        n.put("affiliation", t.affiliation());
        n.put("currency_code", t.currencyCode());
        n.put("revenue", t.revenue());
        n.put("tax", t.tax());
        n.put("shipping", t.shipping());
        ArrayNode items = n.putArray("items");
        for (TransactionItem i : t.items()) {
            ObjectNode item = items.addObject();
            item.put("product_id", i.productId());
            item.put("product_name", i.productName());
            item.put("category", i.category());
            item.put("category_id", i.categoryId());
            item.put("unit_price", i.unitPrice());
            item.put("total_price", i.totalPrice());
            item.put("quantity", i.quantity());
        }
        n.put("occur_time", t.occurTime() == null ? null : t.occurTime().toString());
        n.put("record_time", t.recordTime() == null ? null : t.recordTime().toString());
        n.put("cart_conversion", t.conversion() == null ? CartConversion.NO_CART.code() : t.conversion().code());
        return n.toString();
    }

    static Transaction read(String json) {
        JsonNode n;
        try {
            n = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable transaction JSON in the database", e);
        }
        List<TransactionItem> items = new ArrayList<>();
        for (JsonNode i : n.path("items")) {
            items.add(new TransactionItem(str(i, "product_id"), str(i, "product_name"), str(i, "category"),
                    str(i, "category_id"), dec(i, "unit_price"), dec(i, "total_price"), i.path("quantity").asInt()));
        }
        return new Transaction(str(n, "store_id"), str(n, "transaction_id"), str(n, "cart_id"), str(n, "site_id"),
                str(n, "contact_id"), str(n, "visitor_id"), str(n, "affiliation"), str(n, "currency_code"),
                dec(n, "revenue"), dec(n, "tax"), dec(n, "shipping"), items, time(n, "occur_time"), time(n, "record_time"),
                CartConversion.ofCode(n.path("cart_conversion").asInt(CartConversion.NO_CART.code())));
    }

    private static String str(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static BigDecimal dec(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : v.isTextual() ? new BigDecimal(v.asText()) : v.decimalValue();
    }

    private static Instant time(JsonNode n, String f) {
        String v = str(n, f);
        return v == null ? null : OffsetDateTime.parse(v).toInstant();
    }
}
