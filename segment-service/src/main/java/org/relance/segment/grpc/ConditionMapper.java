package org.relance.segment.grpc;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.Moneys;
import org.relance.kit.url.UrlPattern;
import org.relance.segment.domain.Condition;

/**
 * Segment conditions from the proto tree, validated: an empty tree or group, an operator that
 * does not fit its condition, a tree deeper than 10 or larger than 100 nodes, a negative count or
 * amount, a text over 500 characters, an invalid URL pattern (with its reason), both within_days
 * and since on a visited URL: each is a field violation. Stores named are collected for
 * the existence check.
 */
public final class ConditionMapper {
    static final int MAX_DEPTH = 10;
    static final int MAX_NODES = 100;

    private final Violations v;
    private final Map<String, String> stores;
    private final String scope;
    private int nodes;

    /** {@code scope} is the question's store id, empty for all stores. */
    public ConditionMapper(Violations v, Map<String, String> stores, String scope) {
        this.v = v;
        this.stores = stores;
        this.scope = scope;
    }

    public Condition map(SegmentCondition c, String field, int depth) {
        nodes++;
        if (nodes == MAX_NODES + 1) {
            v.add(field, "a condition tree has at most " + MAX_NODES + " nodes");
        }
        if (depth > MAX_DEPTH) {
            v.add(field, "a condition tree is at most " + MAX_DEPTH + " levels deep");
            return new Condition.And(List.of());
        }
        switch (c.getConditionCase()) {
            case AND_CONDITION:
                return new Condition.And(children(c.getAndCondition().getConditionsList(), field + ".and_condition.conditions", depth));
            case OR_CONDITION:
                return new Condition.Or(children(c.getOrCondition().getConditionsList(), field + ".or_condition.conditions", depth));
            case NOT_CONDITION:
                if (!c.getNotCondition().hasCondition()) {
                    v.add(field + ".not_condition.condition", "is required");
                    return new Condition.And(List.of());
                }
                return new Condition.Not(map(c.getNotCondition().getCondition(), field + ".not_condition.condition", depth + 1));
            case HAS_ABANDONED_CART:
                return new Condition.HasAbandonedCart(store(c.getHasAbandonedCart().getStoreId(), field + ".has_abandoned_cart.store_id"));
            case HAS_RECOVERED_CART:
                return new Condition.HasRecoveredCart(store(c.getHasRecoveredCart().getStoreId(), field + ".has_recovered_cart.store_id"));
            case HAS_PURCHASED: {
                var h = c.getHasPurchased();
                Instant since = h.hasSince() ? org.relance.kit.grpc.ProtoValues.instant(h.getSince(), field + ".has_purchased.since", v)
                        : null;
                return new Condition.HasPurchased(store(h.getStoreId(), field + ".has_purchased.store_id"), since);
            }
            case HAS_URL_TRACKED_PURCHASE: {
                var h = c.getHasUrlTrackedPurchase();
                Instant since = h.hasSince()
                        ? org.relance.kit.grpc.ProtoValues.instant(h.getSince(), field + ".has_url_tracked_purchase.since", v) : null;
                return new Condition.HasUrlTrackedPurchase(store(h.getStoreId(), field + ".has_url_tracked_purchase.store_id"), since);
            }
            case VISITED_URL:
                return visitedUrl(c.getVisitedUrl(), field + ".visited_url");
            case LAST_ABANDONED_CART_VALUE: {
                var value = c.getLastAbandonedCartValue();
                String f = field + ".last_abandoned_cart_value";
                Condition.NumberOperator op = number(value.getOperatorValue(), f + ".operator");
                if (!value.hasAmount()) {
                    v.add(f + ".amount", "is required");
                }
                java.math.BigDecimal amount = Moneys.toDecimal(f + ".amount", value.getAmount(), v);
                if (amount.signum() < 0) {
                    v.add(f + ".amount", "must not be negative");
                }
                String currency = value.getAmount().getCurrencyCode();
                return new Condition.LastValue(op, amount, currency.isEmpty() ? null : currency);
            }
            case LAST_ABANDONED_CART_PRODUCT_COUNT: {
                var count = c.getLastAbandonedCartProductCount();
                String f = field + ".last_abandoned_cart_product_count";
                if (count.getCount() < 0) {
                    v.add(f + ".count", "must not be negative");
                }
                return new Condition.LastProductCount(number(count.getOperatorValue(), f + ".operator"), count.getCount());
            }
            case LAST_ABANDONED_CART_PRODUCT_NAME: {
                var name = c.getLastAbandonedCartProductName();
                String f = field + ".last_abandoned_cart_product_name";
                Condition.TextOperator op = switch (name.getOperator()) {
                    case TEXT_OPERATOR_IS -> Condition.TextOperator.IS;
                    case TEXT_OPERATOR_IS_NOT -> Condition.TextOperator.IS_NOT;
                    case TEXT_OPERATOR_CONTAINS -> Condition.TextOperator.CONTAINS;
                    case TEXT_OPERATOR_DOES_NOT_CONTAIN -> Condition.TextOperator.DOES_NOT_CONTAIN;
                    default -> {
                        v.add(f + ".operator", "must be IS, IS_NOT, CONTAINS or DOES_NOT_CONTAIN");
                        yield Condition.TextOperator.IS;
                    }
                };
                v.requireText(f + ".text", name.getText(), 500);
                return new Condition.LastProductName(op, name.getText());
            }
            case LAST_ABANDONED_CART_STATUS: {
                var status = c.getLastAbandonedCartStatus();
                String f = field + ".last_abandoned_cart_status";
                boolean is = switch (status.getOperator()) {
                    case EQUALITY_OPERATOR_IS -> true;
                    case EQUALITY_OPERATOR_IS_NOT -> false;
                    default -> {
                        v.add(f + ".operator", "must be IS or IS_NOT");
                        yield true;
                    }
                };
                v.optionalText(f + ".text", status.getText(), 50);
                return new Condition.LastStatus(is, status.getText());
            }
            default:
                v.add(field, "no condition set");
                return new Condition.And(List.of());
        }
    }

    private Condition visitedUrl(SegmentCondition.VisitedUrl u, String f) {
        java.util.Optional<String> problem = UrlPattern.problem(u.getUrlPattern());
        problem.ifPresent(reason -> v.add(f + ".url_pattern", reason));
        if (u.getMinCount() < 0) {
            v.add(f + ".min_count", "must not be negative");
        }
        if (u.getWithinDays() < 0) {
            v.add(f + ".within_days", "must not be negative");
        } else if (u.getWithinDays() > 36_600) {
            v.add(f + ".within_days", "must be at most 36600 days");
        }
        if (u.getWithinDays() > 0 && u.hasSince()) {
            v.add(f + ".since", "give at most one of within_days and since");
        }
        Instant sinceTime = u.hasSince() ? org.relance.kit.grpc.ProtoValues.instant(u.getSince(), f + ".since", v) : null;
        java.time.LocalDate from = sinceTime == null ? null : java.time.LocalDate.ofInstant(sinceTime, java.time.ZoneOffset.UTC);
        String store = store(u.getStoreId(), f + ".store_id");
        // An invalid pattern is reported above; the placeholder keeps the tree whole until the refusal.
        UrlPattern pattern = problem.isPresent() ? UrlPattern.parse("*") : UrlPattern.parse(u.getUrlPattern());
        return new Condition.VisitedUrl(pattern, Math.max(1, u.getMinCount()), Math.max(0, u.getWithinDays()), from, store);
    }

    private List<Condition> children(List<SegmentCondition> list, String field, int depth) {
        if (list.isEmpty()) {
            v.add(field, "a group needs at least one condition");
        }
        List<Condition> result = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            result.add(map(list.get(i), field + "[" + i + "]", depth + 1));
        }
        return result;
    }

    private String store(String storeId, String field) {
        if (storeId.isEmpty()) {
            return null;
        }
        if (!scope.isEmpty() && !scope.equals(storeId)) {
            v.add(field, "names store " + storeId + ", outside the question's store " + scope);
        }
        stores.putIfAbsent(storeId, field);
        return storeId;
    }

    private Condition.NumberOperator number(int operator, String field) {
        return switch (operator) {
            case 1 -> Condition.NumberOperator.EQUAL;
            case 2 -> Condition.NumberOperator.NOT_EQUAL;
            case 3 -> Condition.NumberOperator.GREATER;
            case 4 -> Condition.NumberOperator.GREATER_OR_EQUAL;
            case 5 -> Condition.NumberOperator.LESS;
            case 6 -> Condition.NumberOperator.LESS_OR_EQUAL;
            default -> {
                v.add(field, "must be one of EQUAL, NOT_EQUAL, GREATER, GREATER_OR_EQUAL, LESS, LESS_OR_EQUAL");
                yield Condition.NumberOperator.EQUAL;
            }
        };
    }

    /**
     * A condition stored with a trigger (validated when the trigger was saved), compiled for the
     * trigger's store scope ({@code scope} empty for every store); null when {@code stored} is null.
     */
    public static Condition stored(byte[] stored, String scope) {
        if (stored == null) {
            return null;
        }
        try {
            return new ConditionMapper(new Violations(), new java.util.HashMap<>(), scope)
                    .map(SegmentCondition.parseFrom(stored), "condition", 1);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException("a stored trigger condition is unreadable", e);
        }
    }
}
