package org.relance.edge.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.ClearCartOperation;
import org.relance.api.cart.v1.RemoveCartItemOperation;
import org.relance.api.cart.v1.UpdateCartItemOperation;
import org.relance.api.cart.v1.UpdateCartOperation;
import org.relance.api.common.v1.Money;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionItem;
import org.relance.edge.rejections.Reasons;
import org.relance.kit.grpc.Moneys;
import org.relance.kit.url.PageUrls;

/**
 * Reads a tracker batch (docs/tracker-protocol.md) and checks every call against seed 000's API
 * (DESIGN §4): names, required arguments, types, limits. A bad batch is refused whole
 * ({@link BatchException}); a bad submit becomes {@link Submit.Invalid} and the others go on.
 * Amounts stay exact: JSON numbers are read as decimals, never doubles. Page views are checked
 * against PageViewService's rules (an absolute http(s) URL, lengths, a time within the last day),
 * so that the one call carrying a batch's views is not refused for one bad view.
 */
public final class BatchParser {
    /** The limits of one batch. */
    public record Limits(int maxBatchBytes, int maxSubmitBytes, int maxSubmits) {
    }

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    static {
        // A batch is at most 500 KB; nesting deeper than a few levels is never a tracker's.
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build());
    }

    private static final Pattern VISITOR_ID = Pattern.compile("[A-Za-z0-9._-]{8,100}");
    private static final Pattern SUBMIT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
    private static final Pattern DECIMAL = Pattern.compile("\\s*\\+?\\d{1,13}(\\.\\d{1,9})?\\s*");
    private static final Pattern INTEGER = Pattern.compile("\\s*\\+?\\d{1,9}\\s*");
    private static final BigDecimal MAX_AMOUNT = new BigDecimal("1000000000000");
    private static final int MAX_QUANTITY = 1_000_000;
    private static final int MAX_TEXT = 500;
    private static final int MAX_STATUS = 50;
    private static final int MAX_CALLS = 500;
    private static final int MAX_REFERRER = 2000;
    private static final int MAX_TITLE = 500;
    /** How old a page view may be (PageViewService refuses older ones). */
    private static final Duration MAX_VIEW_AGE = Duration.ofDays(1);
    private static final Pattern EMAIL = Pattern.compile("[^\\s@]{1,64}@[^\\s@]{1,255}\\.[^\\s@.]{1,63}");

    private final Limits limits;
    private final Clock clock;

    public BatchParser(Limits limits) {
        this(limits, Clock.systemUTC());
    }

    /** With the clock that page view times are checked against. */
    public BatchParser(Limits limits, Clock clock) {
        this.limits = limits;
        this.clock = clock;
    }

    /** Parses {@code body}; amounts take {@code currencyCode} (the store's). */
    public Batch parse(byte[] body, String currencyCode) {
        if (body.length > limits.maxBatchBytes()) {
            throw new BatchException(413, Reasons.BATCH_TOO_LARGE, null,
                    "the batch has " + body.length + " bytes; at most " + limits.maxBatchBytes() + " are accepted");
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new BatchException(400, Reasons.MALFORMED_BATCH, null, "the body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw malformed(null, "the body must be a JSON object");
        }
        JsonNode version = root.get("v");
        if (version != null && !(version.isIntegralNumber() && version.asInt() == 1)) {
            throw malformed("v", "only version 1 of the batch format exists");
        }
        String visitorId = text(root, "visitorId");
        if (visitorId == null || !VISITOR_ID.matcher(visitorId).matches()) {
            throw malformed("visitorId", "required: 8 to 100 characters of A-Z, a-z, 0-9, '.', '_', '-'");
        }
        String contactToken = optionalString(root, "contactToken", 2048);
        String page = optionalString(root, "page", 2048);
        JsonNode submits = root.get("submits");
        if (submits == null || !submits.isArray() || submits.isEmpty()) {
            throw malformed("submits", "required: an array of 1 to " + limits.maxSubmits() + " submits");
        }
        if (submits.size() > limits.maxSubmits()) {
            throw new BatchException(400, Reasons.TOO_MANY_SUBMITS, "submits",
                    submits.size() + " submits; at most " + limits.maxSubmits() + " per batch");
        }
        List<Submit> parsed = new ArrayList<>(submits.size());
        Set<String> ids = new HashSet<>();
        boolean measure = body.length > limits.maxSubmitBytes();
        for (int i = 0; i < submits.size(); i++) {
            Submit submit = submit(submits.get(i), "submits[" + i + "]", currencyCode, measure);
            if (submit.id() != null && !(submit instanceof Submit.Invalid) && !ids.add(submit.id())) {
                submit = new Submit.Invalid(submit.id(), kindOf(submits.get(i)), Reasons.INVALID_SUBMIT, "submits[" + i + "].id",
                        "the same id appears twice in one batch", submit.json());
            }
            parsed.add(submit);
        }
        return new Batch(visitorId, contactToken, page, List.copyOf(parsed));
    }

    private Submit submit(JsonNode node, String path, String currency, boolean measure) {
        String json = node.toString();
        String id = node.isObject() && node.path("id").isTextual() ? node.get("id").asText() : null;
        String kind = kindOf(node);
        if (measure && json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > limits.maxSubmitBytes()) {
            return new Submit.Invalid(id, kind, Reasons.SUBMIT_TOO_LARGE, path,
                    "the submit is larger than " + limits.maxSubmitBytes() + " bytes", json);
        }
        try {
            if (!node.isObject()) {
                throw new Bad(path, "must be an object");
            }
            if (id == null || !SUBMIT_ID.matcher(id).matches()) {
                throw new Bad(path + ".id", "required: 1 to 100 characters of A-Z, a-z, 0-9, '.', '_', ':', '-'");
            }
            switch (kind) {
                case "cart":
                    return new Submit.Cart(id, cartOperations(node, path, currency), json);
                case "transaction":
                    return new Submit.Purchase(id, transaction(node, path, currency), json);
                case "identify":
                    return identify(id, node, path, json);
                case "pageview":
                    return pageView(id, node, path, json);
                default:
                    throw new Bad(path + ".type", "must be \"cart\", \"transaction\", \"identify\" or \"pageview\"");
            }
        } catch (Bad bad) {
            return new Submit.Invalid(id, kind, Reasons.INVALID_SUBMIT, bad.field, bad.getMessage(), json);
        }
    }

    private static String kindOf(JsonNode node) {
        String type = node.isObject() && node.path("type").isTextual() ? node.get("type").asText() : "";
        return switch (type) {
            case "cart", "transaction", "identify", "pageview" -> type;
            default -> "unknown";
        };
    }

    private static List<JsonNode> calls(JsonNode submit, String path) {
        JsonNode calls = submit.get("calls");
        if (calls == null || !calls.isArray() || calls.isEmpty()) {
            throw new Bad(path + ".calls", "required: an array of 1 to " + MAX_CALLS + " calls");
        }
        if (calls.size() > MAX_CALLS) {
            throw new Bad(path + ".calls", "at most " + MAX_CALLS + " calls in one submit");
        }
        List<JsonNode> list = new ArrayList<>(calls.size());
        calls.forEach(list::add);
        return list;
    }

    private static String fn(JsonNode call, String path) {
        if (!call.isObject()) {
            throw new Bad(path, "must be an object {\"fn\", \"args\"}");
        }
        JsonNode fn = call.get("fn");
        if (fn == null || !fn.isTextual()) {
            throw new Bad(path + ".fn", "required: the name of the call");
        }
        JsonNode args = call.get("args");
        if (args != null && !args.isObject() && !args.isNull()) {
            throw new Bad(path + ".args", "must be an object");
        }
        return fn.asText();
    }

    private static JsonNode args(JsonNode call) {
        JsonNode args = call.get("args");
        return args == null || args.isNull() ? JSON.createObjectNode() : args;
    }

    private static List<CartOperation> cartOperations(JsonNode submit, String path, String currency) {
        List<JsonNode> calls = calls(submit, path);
        List<CartOperation> operations = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            String at = path + ".calls[" + i + "]";
            String fn = fn(calls.get(i), at);
            JsonNode a = args(calls.get(i));
            String p = at + ".args.";
            CartOperation.Builder op = CartOperation.newBuilder();
            switch (fn) {
                case "AddCart": {
                    AddCartOperation.Builder b = AddCartOperation.newBuilder()
                            .setCartId(requiredText(a, "idCart", p, MAX_TEXT))
                            .setTotalPrice(money(a, "TotalPrice", p, currency, true));
                    String status = optionalText(a, "status", p, MAX_STATUS);
                    if (status != null) {
                        b.setStatus(status);
                    }
                    op.setAddCart(b);
                    break;
                }
                case "UpdateCart": {
                    UpdateCartOperation.Builder b = UpdateCartOperation.newBuilder().setCartId(requiredText(a, "idCart", p, MAX_TEXT));
                    String status = optionalText(a, "status", p, MAX_STATUS);
                    if (status != null) {
                        b.setStatus(status);
                    }
                    Money total = money(a, "TotalPrice", p, currency, false);
                    if (total != null) {
                        b.setTotalPrice(total);
                    }
                    op.setUpdateCart(b);
                    break;
                }
                case "AddCartItem": {
                    AddCartItemOperation.Builder b = AddCartItemOperation.newBuilder()
                            .setCartId(requiredText(a, "idCart", p, MAX_TEXT))
                            .setProductId(requiredText(a, "idProduct", p, MAX_TEXT))
                            .setProductName(requiredText(a, "productName", p, MAX_TEXT))
                            .setUnitPrice(money(a, "priceunit", p, currency, true))
                            .setQuantity(quantity(a, "quantity", p, true));
                    String category = optionalText(a, "category", p, MAX_TEXT);
                    if (category != null) {
                        b.setCategory(category);
                    }
                    String categoryId = optionalText(a, "idCategory", p, MAX_TEXT);
                    if (categoryId != null) {
                        b.setCategoryId(categoryId);
                    }
                    op.setAddCartItem(b);
                    break;
                }
                case "UpdateCartItem": {
                    UpdateCartItemOperation.Builder b = UpdateCartItemOperation.newBuilder()
                            .setCartId(requiredText(a, "idCart", p, MAX_TEXT))
                            .setProductId(requiredText(a, "idProduct", p, MAX_TEXT));
                    String name = optionalText(a, "productName", p, MAX_TEXT);
                    if (name != null) {
                        b.setProductName(name);
                    }
                    String category = optionalText(a, "category", p, MAX_TEXT);
                    if (category != null) {
                        b.setCategory(category);
                    }
                    String categoryId = optionalText(a, "idCategory", p, MAX_TEXT);
                    if (categoryId != null) {
                        b.setCategoryId(categoryId);
                    }
                    Money price = money(a, "priceunit", p, currency, false);
                    if (price != null) {
                        b.setUnitPrice(price);
                    }
                    Integer quantity = present(a, "quantity") ? quantity(a, "quantity", p, false) : null;
                    if (quantity != null) {
                        b.setQuantity(quantity);
                    }
                    op.setUpdateCartItem(b);
                    break;
                }
                case "RemoveCartItem":
                    op.setRemoveCartItem(RemoveCartItemOperation.newBuilder()
                            .setCartId(requiredText(a, "idCart", p, MAX_TEXT))
                            .setProductId(requiredText(a, "idProduct", p, MAX_TEXT)));
                    break;
                case "ClearCart":
                    op.setClearCart(ClearCartOperation.newBuilder().setCartId(requiredText(a, "idCart", p, MAX_TEXT)));
                    break;
                default:
                    throw new Bad(at + ".fn", "\"" + cut(fn) + "\" is not a cart call (AddCart, UpdateCart, AddCartItem, "
                            + "UpdateCartItem, RemoveCartItem, ClearCart)");
            }
            operations.add(op.build());
        }
        return operations;
    }

    private static Transaction transaction(JsonNode submit, String path, String currency) {
        List<JsonNode> calls = calls(submit, path);
        Transaction.Builder tx = null;
        Set<String> products = new HashSet<>();
        for (int i = 0; i < calls.size(); i++) {
            String at = path + ".calls[" + i + "]";
            String fn = fn(calls.get(i), at);
            JsonNode a = args(calls.get(i));
            String p = at + ".args.";
            if (fn.equals("AddTransaction")) {
                if (tx != null) {
                    throw new Bad(at + ".fn", "one AddTransaction per submit");
                }
                tx = Transaction.newBuilder()
                        .setTransactionId(requiredText(a, "idTransaction", p, MAX_TEXT))
                        .setCurrencyCode(currency)
                        .setRevenue(money(a, "revenue", p, currency, true))
                        .setTax(money(a, "tax", p, currency, true))
                        .setShipping(money(a, "shipping", p, currency, true));
                String cart = optionalText(a, "idCart", p, MAX_TEXT);
                if (cart != null) {
                    tx.setCartId(cart);
                }
                String affiliation = optionalText(a, "affiliation", p, MAX_TEXT);
                if (affiliation != null) {
                    tx.setAffiliation(affiliation);
                }
            } else if (fn.equals("AddItem")) {
                if (tx == null) {
                    throw new Bad(at + ".fn", "AddItem before AddTransaction");
                }
                String transactionId = requiredText(a, "idTransaction", p, MAX_TEXT);
                if (!transactionId.equals(tx.getTransactionId())) {
                    throw new Bad(p + "idTransaction", "names another transaction than AddTransaction's");
                }
                TransactionItem.Builder item = TransactionItem.newBuilder()
                        .setProductName(requiredText(a, "productName", p, MAX_TEXT))
                        .setProductId(requiredText(a, "idProduct", p, MAX_TEXT))
                        .setUnitPrice(money(a, "Price_unit", p, currency, true))
                        .setTotalPrice(money(a, "Price_total", p, currency, true))
                        .setQuantity(quantity(a, "quantity", p, true));
                String category = optionalText(a, "category", p, MAX_TEXT);
                if (category != null) {
                    item.setCategory(category);
                }
                String categoryId = optionalText(a, "idCategory", p, MAX_TEXT);
                if (categoryId != null) {
                    item.setCategoryId(categoryId);
                }
                if (!products.add(item.getProductId())) {
                    throw new Bad(p + "idProduct", "the product appears twice in the transaction");
                }
                tx.addItems(item);
            } else {
                throw new Bad(at + ".fn", "\"" + cut(fn) + "\" is not a transaction call (AddTransaction, AddItem)");
            }
        }
        if (tx == null) {
            throw new Bad(path + ".calls", "a transaction submit needs AddTransaction");
        }
        if (tx.getItemsCount() == 0) {
            throw new Bad(path + ".calls", "a transaction needs at least one AddItem");
        }
        return tx.build();
    }

    private static Submit identify(String id, JsonNode submit, String path, String json) {
        JsonNode a = submit.get("args");
        if (a == null || !a.isObject()) {
            throw new Bad(path + ".args", "required: {contactId or email, firstName, lastName}");
        }
        String p = path + ".args.";
        String contactId = optionalText(a, "contactId", p, 200);
        String email = optionalText(a, "email", p, 320);
        if (contactId == null && email == null) {
            throw new Bad(p + "contactId", "contactId or email is required");
        }
        if (email != null) {
            email = email.trim();
            if (!EMAIL.matcher(email).matches()) {
                throw new Bad(p + "email", "is not an e-mail address");
            }
        }
        return new Submit.Identify(id, contactId, email, optionalText(a, "firstName", p, 200), optionalText(a, "lastName", p, 200), json);
    }

    private Submit pageView(String id, JsonNode submit, String path, String json) {
        JsonNode a = submit.get("args");
        if (a == null || !a.isObject()) {
            throw new Bad(path + ".args", "required: {url, referrer, title}");
        }
        String p = path + ".args.";
        JsonNode url = a.get("url");
        if (url == null || url.isNull() || (url.isTextual() && url.asText().isEmpty())) {
            throw new Bad(p + "url", "is required");
        }
        if (!url.isTextual()) {
            throw new Bad(p + "url", "must be a string");
        }
        PageUrls.problem(url.asText()).ifPresent(problem -> {
            throw new Bad(p + "url", problem);
        });
        String referrer = pageText(a, "referrer", p, MAX_REFERRER);
        String title = pageText(a, "title", p, MAX_TITLE);
        return new Submit.PageView(id, url.asText(), referrer, title, viewTime(submit.get("time"), path + ".time"), json);
    }

    /** A page view's optional text: any string up to {@code max} characters, empty when absent. */
    private static String pageText(JsonNode args, String name, String path, int max) {
        JsonNode v = args.get(name);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw new Bad(path + name, "must be a string");
        }
        String value = v.asText();
        if (value.length() > max) {
            throw new Bad(path + name, "at most " + max + " characters (got " + value.length() + ")");
        }
        if (value.indexOf('\u0000') >= 0) {
            throw new Bad(path + name, "must not contain the NUL character");
        }
        return value;
    }

    /**
     * The browser's time of the view (ms since the epoch), or null when absent. A time a little
     * ahead of the edge's clock is a browser clock running fast: taken as now. One more than a
     * day off either way is refused.
     */
    private Instant viewTime(JsonNode time, String path) {
        if (time == null || time.isNull()) {
            return null;
        }
        if (!time.isIntegralNumber() || !time.canConvertToLong()) {
            throw new Bad(path, "must be a whole number of milliseconds since 1970-01-01T00:00:00Z");
        }
        Instant now = clock.instant();
        Instant at = Instant.ofEpochMilli(time.asLong());
        if (at.isAfter(now.plus(MAX_VIEW_AGE))) {
            throw new Bad(path, "is more than a day in the future (" + at + ")");
        }
        if (at.isBefore(now.minus(MAX_VIEW_AGE))) {
            throw new Bad(path, "is more than a day old (" + at + "): page views are accepted for one day");
        }
        return at.isAfter(now) ? now : at;
    }

    // Arguments. Seed 000 passes every value as a string ('50.00', '1'); numbers are accepted too.

    private static boolean present(JsonNode args, String name) {
        JsonNode v = args.get(name);
        return v != null && !v.isNull() && !(v.isTextual() && v.asText().isEmpty());
    }

    private static String requiredText(JsonNode args, String name, String path, int max) {
        String value = optionalText(args, name, path, max);
        if (value == null) {
            throw new Bad(path + name, "is required");
        }
        return value;
    }

    private static String optionalText(JsonNode args, String name, String path, int max) {
        if (!present(args, name)) {
            return null;
        }
        JsonNode v = args.get(name);
        String value;
        if (v.isTextual()) {
            value = v.asText();
        } else if (v.isIntegralNumber() || v.isBigDecimal() || v.isDouble()) {
            value = v.asText();
        } else {
            throw new Bad(path + name, "must be a string");
        }
        if (value.length() > max) {
            throw new Bad(path + name, "at most " + max + " characters");
        }
        if (value.indexOf('\u0000') >= 0) {
            throw new Bad(path + name, "must not contain the NUL character");
        }
        if (value.isBlank()) {
            return null;
        }
        return value;
    }

    private static Money money(JsonNode args, String name, String path, String currency, boolean required) {
        if (!present(args, name)) {
            if (required) {
                throw new Bad(path + name, "is required");
            }
            return null;
        }
        JsonNode v = args.get(name);
        BigDecimal amount;
        if (v.isTextual()) {
            String text = v.asText();
            if (!DECIMAL.matcher(text).matches()) {
                throw new Bad(path + name, "must be an amount such as '50.00' (digits, optional decimals, not negative)");
            }
            amount = new BigDecimal(text.trim().replace("+", ""));
        } else if (v.isNumber()) {
            amount = v.decimalValue();
        } else {
            throw new Bad(path + name, "must be an amount (a string such as '50.00' or a number)");
        }
        if (amount.signum() < 0) {
            throw new Bad(path + name, "must not be negative");
        }
        if (amount.compareTo(MAX_AMOUNT) > 0) {
            throw new Bad(path + name, "at most 1000000000000");
        }
        if (amount.stripTrailingZeros().scale() > 9) {
            throw new Bad(path + name, "at most 9 decimals");
        }
        return Moneys.toMoney(amount, currency);
    }

    private static int quantity(JsonNode args, String name, String path, boolean required) {
        if (!present(args, name)) {
            if (required) {
                throw new Bad(path + name, "is required");
            }
            return 0;
        }
        JsonNode v = args.get(name);
        long value;
        if (v.isTextual()) {
            if (!INTEGER.matcher(v.asText()).matches()) {
                throw new Bad(path + name, "must be a whole number such as '1'");
            }
            value = Long.parseLong(v.asText().trim().replace("+", ""));
        } else if (v.isNumber()) {
            BigDecimal d = v.decimalValue().stripTrailingZeros();
            if (d.scale() > 0 || d.abs().compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) > 0) {
                throw new Bad(path + name, "must be a whole number");
            }
            value = d.longValueExact();
        } else {
            throw new Bad(path + name, "must be a whole number");
        }
        if (value < 1 || value > MAX_QUANTITY) {
            throw new Bad(path + name, "must be between 1 and " + MAX_QUANTITY);
        }
        return (int) value;
    }

    private static String text(JsonNode node, String name) {
        JsonNode v = node.get(name);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static String optionalString(JsonNode node, String name, int max) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().length() > max) {
            throw malformed(name, "must be a string of at most " + max + " characters");
        }
        return v.asText().isEmpty() ? null : v.asText();
    }

    private static BatchException malformed(String field, String message) {
        return new BatchException(400, Reasons.MALFORMED_BATCH, field, message);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return cut(nl < 0 ? s : s.substring(0, nl));
    }

    private static String cut(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "…";
    }

    /** A submit's rule broken at a field; control flow inside the parser only. */
    private static final class Bad extends RuntimeException {
        private final String field;

        Bad(String field, String message) {
            super(message, null, false, false);
            this.field = field;
        }
    }
}
