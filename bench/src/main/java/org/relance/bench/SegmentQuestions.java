package org.relance.bench;

import com.google.protobuf.Timestamp;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.relance.api.segment.v1.EqualityOperator;
import org.relance.api.segment.v1.NumberOperator;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.api.segment.v1.TextOperator;
import org.relance.kit.grpc.Moneys;

/**
 * The questions of the {@code segments} scenario, each built twice from the same parameters: as
 * the service is asked it (a {@link SegmentCondition}) and as the plain SQL an analyst would write
 * over the cart and transaction tables (DESIGN §6's meaning, with the service's documented
 * choices: the last abandoned cart is the most recently abandoned one still abandoned, ties to the
 * greater store id then cart id; product count = lines; names and status ignore case; a value
 * with a currency never matches a cart in another one; "is not" / "does not contain" need a last
 * abandoned cart). In the SQL, {@code k} is the contact and {@code l} its last abandoned cart
 * (NULL when it has none); every leaf is true or false, never NULL, so NOT composes as in the service.
 */
final class SegmentQuestions {
    /** One question: a label, the condition, its SQL predicate, whether it reads the last abandoned cart, its number of leaves. */
    record Q(String label, SegmentCondition proto, String sql, boolean usesLast, int leaves) {
    }

    /** The contact's last abandoned cart, for every contact at once (a join), or pushed down to one contact (match). */
    private static final String LAST = "WITH last AS (SELECT DISTINCT ON (contact_id) contact_id, total_price, currency_code, items, status "
            + "FROM cart.cart WHERE state = 2 AND contact_id IS NOT NULL "
            + "ORDER BY contact_id, abandon_time DESC NULLS LAST, store_id DESC, cart_id DESC) ";

    private SegmentQuestions() {
    }

    static String countSql(Q q) {
        return (q.usesLast() ? LAST : "") + "SELECT count(*) FROM contact k" + join(q) + " WHERE " + q.sql();
    }

    static String idsSql(Q q) {
        return (q.usesLast() ? LAST : "") + "SELECT k.contact_id FROM contact k" + join(q) + " WHERE " + q.sql() + " ORDER BY k.contact_id";
    }

    /** One contact ({@code ?}): the planner pushes the contact id into {@code last} (an index scan of cart_by_contact). */
    static String matchSql(Q q) {
        return (q.usesLast() ? LAST : "") + "SELECT " + q.sql() + " FROM contact k" + join(q) + " WHERE k.contact_id = ?";
    }

    private static String join(Q q) {
        return q.usesLast() ? " LEFT JOIN last l ON l.contact_id = k.contact_id" : "";
    }

    /** Each condition of DESIGN §6 alone, over all stores. */
    static List<Q> singles(Instant since) {
        return List.of(
                hasAbandoned(null),
                hasAbandoned("shop-de"),
                hasRecovered(),
                not(hasRecovered()),
                value(NumberOperator.NUMBER_OPERATOR_GREATER, ">", new BigDecimal("100"), "EUR"),
                productCount(NumberOperator.NUMBER_OPERATOR_GREATER_OR_EQUAL, ">=", 3),
                productName(TextOperator.TEXT_OPERATOR_CONTAINS, "hdmi"),
                productName(TextOperator.TEXT_OPERATOR_IS, "premium hdmi cable black"),
                productName(TextOperator.TEXT_OPERATOR_DOES_NOT_CONTAIN, "hdmi"),
                status(true, "ValidateShippingStep"),
                hasPurchased(null),
                hasPurchased(since));
    }

    /**
     * Seed 003's question with five conditions: the last abandoned cart is worth at least 100 € and
     * holds an HDMI product, no purchase since {@code since}, and (still at the shipping step or 3
     * products or more).
     */
    static Q tree(Instant since) {
        Q q = treeSpelledOut(since);
        return new Q("5-condition tree", q.proto(), q.sql(), q.usesLast(), q.leaves());
    }

    /** The same tree, labelled with every condition. */
    static Q treeSpelledOut(Instant since) {
        return and(value(NumberOperator.NUMBER_OPERATOR_GREATER_OR_EQUAL, ">=", new BigDecimal("100"), "EUR"),
                productName(TextOperator.TEXT_OPERATOR_CONTAINS, "hdmi"),
                not(hasPurchased(since)),
                or(status(true, "ValidateShippingStep"), productCount(NumberOperator.NUMBER_OPERATOR_GREATER_OR_EQUAL, ">=", 3)));
    }

    static Q hasAbandoned(String store) {
        return new Q(store == null ? "has abandoned cart (any store)" : "has abandoned cart in " + store,
                SegmentCondition.newBuilder().setHasAbandonedCart(SegmentCondition.HasAbandonedCart.newBuilder()
                        .setStoreId(store == null ? "" : store)).build(),
                "EXISTS (SELECT 1 FROM cart.cart c WHERE c.contact_id = k.contact_id AND c.state = 2"
                        + (store == null ? "" : " AND c.store_id = " + literal(store)) + ")",
                false, 1);
    }

    static Q hasRecovered() {
        return new Q("has recovered cart",
                SegmentCondition.newBuilder().setHasRecoveredCart(SegmentCondition.HasRecoveredCart.getDefaultInstance()).build(),
                "EXISTS (SELECT 1 FROM cart.cart c WHERE c.contact_id = k.contact_id AND c.recovered)", false, 1);
    }

    static Q hasPurchased(Instant since) {
        SegmentCondition.HasPurchased.Builder b = SegmentCondition.HasPurchased.newBuilder();
        if (since != null) {
            b.setSince(Timestamp.newBuilder().setSeconds(since.getEpochSecond()).setNanos(since.getNano()));
        }
        return new Q(since == null ? "has purchased (ever)" : "has purchased in the last 30 days",
                SegmentCondition.newBuilder().setHasPurchased(b).build(),
                "EXISTS (SELECT 1 FROM tx.shop_transaction t WHERE t.contact_id = k.contact_id"
                        + (since == null ? "" : " AND t.occur_time >= TIMESTAMPTZ " + literal(since.toString())) + ")",
                false, 1);
    }

    static Q value(NumberOperator op, String sqlOp, BigDecimal amount, String currency) {
        return new Q("last abandoned cart value " + sqlOp + " " + amount.toPlainString() + " " + currency,
                SegmentCondition.newBuilder().setLastAbandonedCartValue(SegmentCondition.LastAbandonedCartValue.newBuilder()
                        .setOperator(op).setAmount(Moneys.toMoney(amount, currency))).build(),
                "(l.contact_id IS NOT NULL AND coalesce(l.currency_code = " + literal(currency) + " AND l.total_price " + sqlOp + " "
                        + amount.toPlainString() + ", false))",
                true, 1);
    }

    static Q productCount(NumberOperator op, String sqlOp, long count) {
        return new Q("products in last abandoned cart " + sqlOp + " " + count,
                SegmentCondition.newBuilder().setLastAbandonedCartProductCount(SegmentCondition.LastAbandonedCartProductCount.newBuilder()
                        .setOperator(op).setCount(count)).build(),
                "(l.contact_id IS NOT NULL AND jsonb_array_length(l.items) " + sqlOp + " " + count + ")", true, 1);
    }

    static Q productName(TextOperator op, String text) {
        String lowered = "lower(" + literal(text) + ")";
        String cmp;
        String label;
        boolean negated;
        switch (op) {
            case TEXT_OPERATOR_IS -> {
                cmp = "lower(i->>'product_name') = " + lowered;
                label = "is";
                negated = false;
            }
            case TEXT_OPERATOR_IS_NOT -> {
                cmp = "lower(i->>'product_name') = " + lowered;
                label = "is not";
                negated = true;
            }
            case TEXT_OPERATOR_CONTAINS -> {
                cmp = "strpos(lower(i->>'product_name'), " + lowered + ") > 0";
                label = "contains";
                negated = false;
            }
            case TEXT_OPERATOR_DOES_NOT_CONTAIN -> {
                cmp = "strpos(lower(i->>'product_name'), " + lowered + ") > 0";
                label = "does not contain";
                negated = true;
            }
            default -> throw new IllegalArgumentException(op.toString());
        }
        return new Q("product name in last abandoned cart " + label + " '" + text + "'",
                SegmentCondition.newBuilder().setLastAbandonedCartProductName(SegmentCondition.LastAbandonedCartProductName.newBuilder()
                        .setOperator(op).setText(text)).build(),
                "(l.contact_id IS NOT NULL AND " + (negated ? "NOT " : "") + "EXISTS (SELECT 1 FROM jsonb_array_elements(l.items) i WHERE "
                        + cmp + "))",
                true, 1);
    }

    static Q status(boolean is, String text) {
        return new Q("status of last abandoned cart " + (is ? "is" : "is not") + " '" + text + "'",
                SegmentCondition.newBuilder().setLastAbandonedCartStatus(SegmentCondition.LastAbandonedCartStatus.newBuilder()
                        .setOperator(is ? EqualityOperator.EQUALITY_OPERATOR_IS : EqualityOperator.EQUALITY_OPERATOR_IS_NOT).setText(text)).build(),
                "(l.contact_id IS NOT NULL AND lower(coalesce(l.status, '')) " + (is ? "=" : "<>") + " lower(" + literal(text) + "))",
                true, 1);
    }

    static Q not(Q q) {
        return new Q("NOT " + q.label(), SegmentCondition.newBuilder().setNotCondition(SegmentCondition.Not.newBuilder()
                .setCondition(q.proto())).build(), "NOT " + q.sql(), q.usesLast(), q.leaves());
    }

    static Q and(Q... qs) {
        SegmentCondition.And.Builder b = SegmentCondition.And.newBuilder();
        Arrays.stream(qs).forEach(q -> b.addConditions(q.proto()));
        return group(" AND ", SegmentCondition.newBuilder().setAndCondition(b).build(), qs);
    }

    static Q or(Q... qs) {
        SegmentCondition.Or.Builder b = SegmentCondition.Or.newBuilder();
        Arrays.stream(qs).forEach(q -> b.addConditions(q.proto()));
        return group(" OR ", SegmentCondition.newBuilder().setOrCondition(b).build(), qs);
    }

    private static Q group(String op, SegmentCondition proto, Q... qs) {
        StringBuilder label = new StringBuilder("(");
        StringBuilder sql = new StringBuilder("(");
        boolean last = false;
        int leaves = 0;
        for (int i = 0; i < qs.length; i++) {
            if (i > 0) {
                label.append(op);
                sql.append(op);
            }
            label.append(qs[i].label());
            sql.append(qs[i].sql());
            last |= qs[i].usesLast();
            leaves += qs[i].leaves();
        }
        return new Q(label.append(')').toString(), proto, sql.append(')').toString(), last, leaves);
    }

    private static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }
}
