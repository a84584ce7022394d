package org.relance.edge.connectors;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reading platform payloads: JSON with exact decimals, and the small conversions both mappings need. */
final class Payloads {
    static final String INVALID_PAYLOAD = "INVALID_PAYLOAD";
    static final String CURRENCY_MISMATCH = "CURRENCY_MISMATCH";
    /** The seed's limit on names and ids. */
    private static final int TEXT_MAX = 500;

    // Floats as BigDecimal: WooCommerce sends some prices as JSON numbers, and money stays exact.
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private Payloads() {
    }

    static JsonNode parse(byte[] body) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw new MappingException(INVALID_PAYLOAD, "the payload is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new MappingException(INVALID_PAYLOAD, "the payload is not JSON");
        }
    }

    /** A field as text; null when missing, null or blank. Numbers (ids) come as their digits. */
    static String text(JsonNode node, String field) {
        if (node == null) {
            return null;
        }
        JsonNode value = node.get(field);
        if (value == null || value.isNull() || value.isContainerNode()) {
            return null;
        }
        // Ids come as JSON numbers; decimals keep their digits as written (no exponent).
        String s = value.isBigDecimal() ? value.decimalValue().toPlainString() : value.asText();
        return s == null || s.isBlank() ? null : s.strip();
    }

    /** The first non-null of the values. */
    @SafeVarargs
    static <T> T first(T... values) {
        for (T v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    static String required(JsonNode node, String field, String what) {
        String value = text(node, field);
        if (value == null) {
            throw new MappingException(INVALID_PAYLOAD, what + " has no " + field);
        }
        return value;
    }

    /** A name cut to the seed's 500 characters: a long product title must not refuse the whole cart. */
    static String name(String s) {
        if (s == null || s.length() <= TEXT_MAX) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(TEXT_MAX - 1)) ? TEXT_MAX - 1 : TEXT_MAX;
        return s.substring(0, end);
    }

    /** An amount given as a string ("19.99") or a number; null when missing. */
    static BigDecimal amount(JsonNode node, String field) {
        String s = text(node, field);
        if (s == null) {
            return null;
        }
        try {
            return new BigDecimal(s);
        } catch (NumberFormatException e) {
            throw new MappingException(INVALID_PAYLOAD, field + " is not an amount: " + s);
        }
    }

    static int quantity(JsonNode line, String what) {
        String s = text(line, "quantity");
        try {
            int q = s == null ? 0 : new BigDecimal(s).intValueExact();
            if (q < 1) {
                throw new MappingException(INVALID_PAYLOAD, what + " has quantity " + s);
            }
            return q;
        } catch (ArithmeticException | NumberFormatException e) {
            throw new MappingException(INVALID_PAYLOAD, what + " has quantity " + s);
        }
    }

    /**
     * A time: RFC 3339 with an offset (Shopify), or a local date-time read as UTC (WooCommerce's
     * {@code *_gmt} fields). Null when missing or unreadable: times only order updates.
     */
    static Instant time(JsonNode node, String field) {
        String s = text(node, field);
        if (s == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    /**
     * Lines of the same product become one (the services keep one line per product): quantities
     * and totals add up, the first line's unit price stays.
     */
    static List<Mapped.Line> merge(List<Mapped.Line> lines) {
        Map<String, Mapped.Line> byProduct = new LinkedHashMap<>();
        for (Mapped.Line l : lines) {
            byProduct.merge(l.productId(), l, (a, b) -> new Mapped.Line(a.productId(), a.productName(), a.unitPrice(),
                    a.quantity() + b.quantity(), a.total().add(b.total()), a.imageUrl() != null ? a.imageUrl() : b.imageUrl()));
        }
        return new ArrayList<>(byProduct.values());
    }

    /** An absolute http(s) URL of at most 2,048 characters (what the catalogue takes), else null. */
    static String url(String s) {
        if (s == null || s.length() > 2048 || !(s.startsWith("https://") || s.startsWith("http://"))) {
            return null;
        }
        return s;
    }

    static Mapped.Contact contact(String email, String first, String last, String phone, String consent, String source,
                                  Instant consentTime, boolean authoritative) {
        if (email == null) {
            return null;
        }
        return new Mapped.Contact(email, first, last, phone, consent, consent == null ? null : source, consentTime, authoritative);
    }
}
