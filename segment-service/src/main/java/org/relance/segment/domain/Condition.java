package org.relance.segment.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.relance.kit.url.UrlPattern;

/**
 * A segment question of DESIGN §6 as a tree. A null {@code storeId} means "the question's store,
 * or any store"; a null {@code currencyCode} on a value compares amounts in any currency.
 */
public sealed interface Condition {

    /** All children hold. */
    record And(List<Condition> conditions) implements Condition {
        public And {
            conditions = List.copyOf(conditions);
        }
    }

    /** At least one child holds. */
    record Or(List<Condition> conditions) implements Condition {
        public Or {
            conditions = List.copyOf(conditions);
        }
    }

    /** The child does not hold. */
    record Not(Condition condition) implements Condition {
    }

    /** The contact has an abandoned cart (in the store). */
    record HasAbandonedCart(String storeId) implements Condition {
    }

    /** The contact has a recovered cart (in the store). */
    record HasRecoveredCart(String storeId) implements Condition {
    }

    /** The last abandoned cart's total compared with an amount. */
    record LastValue(NumberOperator operator, BigDecimal amount, String currencyCode) implements Condition {
    }

    /** The number of products (lines) of the last abandoned cart compared with a count. */
    record LastProductCount(NumberOperator operator, long count) implements Condition {
    }

    /** A product name of the last abandoned cart compared with a text, ignoring case. */
    record LastProductName(TextOperator operator, String text) implements Condition {
    }

    /** The status of the last abandoned cart compared with a text. */
    record LastStatus(boolean is, String text) implements Condition {
    }

    /** The contact bought (in the store), since a time when given. */
    record HasPurchased(String storeId, Instant since) implements Condition {
    }

    /**
     * The contact viewed pages matching {@code pattern} at least {@code minCount} times (seed 004),
     * on UTC days from {@code fromDay} on (null: any day), or in the last {@code withinDays} UTC
     * days, today included (0: any day). At most one of the two limits is set.
     */
    record VisitedUrl(UrlPattern pattern, long minCount, int withinDays, LocalDate fromDay, String storeId) implements Condition {
        public VisitedUrl {
            java.util.Objects.requireNonNull(pattern, "pattern");
        }
    }

    /** The contact made a URL-tracked purchase (thank-you page after the cart page; in the store), since a time when given. */
    record HasUrlTrackedPurchase(String storeId, Instant since) implements Condition {
    }

    /** Comparison operators of DESIGN §6. */
    enum NumberOperator {
        EQUAL("="), NOT_EQUAL("<>"), GREATER(">"), GREATER_OR_EQUAL(">="), LESS("<"), LESS_OR_EQUAL("<=");

        private final String sql;

        NumberOperator(String sql) {
            this.sql = sql;
        }

        public String sql() {
            return sql;
        }

        public boolean test(int comparison) {
            return switch (this) {
                case EQUAL -> comparison == 0;
                case NOT_EQUAL -> comparison != 0;
                case GREATER -> comparison > 0;
                case GREATER_OR_EQUAL -> comparison >= 0;
                case LESS -> comparison < 0;
                case LESS_OR_EQUAL -> comparison <= 0;
            };
        }
    }

    /** Text operators of DESIGN §6 (product names). */
    enum TextOperator {
        IS, IS_NOT, CONTAINS, DOES_NOT_CONTAIN
    }
}
