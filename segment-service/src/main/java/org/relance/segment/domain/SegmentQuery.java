package org.relance.segment.domain;

import java.util.ArrayList;
import java.util.List;

/**
 * A condition compiled to a SQL predicate over a contact row {@code c}, reading only facts:
 * {@code contact_fact} (indexed facts, one row per contact and scope; scope '' is all stores) and,
 * for visited URLs, the URL dictionary {@code page_url} and the daily counts
 * {@code contact_page_day}. Every commerce leaf is an {@code EXISTS} on the contact's fact row of
 * its scope, so NOT of a leaf also matches contacts without facts ("has no abandoned cart"); a
 * visited-URL leaf is a membership in the set of contacts whose matching views reach the count,
 * which is never NULL either.
 */
public final class SegmentQuery {
    private final String predicate;
    private final List<Object> parameters;

    private SegmentQuery(String predicate, List<Object> parameters) {
        this.predicate = predicate;
        this.parameters = List.copyOf(parameters);
    }

    /** The SQL boolean expression; its parameters start at {@code $firstParameter}. */
    public String predicate() {
        return predicate;
    }

    public List<Object> parameters() {
        return parameters;
    }

    /**
     * Compiles {@code condition} for the question's store scope ({@code storeId} null: all stores),
     * numbering parameters from {@code firstParameter}.
     */
    public static SegmentQuery compile(Condition condition, String storeId, int firstParameter) {
        return compile(condition, storeId, firstParameter, false);
    }

    /**
     * As {@link #compile(Condition, String, int)}; with {@code perContact}, for questions that read
     * few contacts (one contact's match, a page of a stream in id order): visited-URL leaves then
     * sum each contact's own counts (its primary key), so the work follows the contacts read.
     * Without it they are the set of every matching contact, computed once: what a count needs.
     * Both forms have the same value.
     */
    public static SegmentQuery compile(Condition condition, String storeId, int firstParameter, boolean perContact) {
        List<Object> params = new ArrayList<>();
        Compiler compiler = new Compiler(storeId, firstParameter, params);
        compiler.perContact = perContact;
        String sql = compiler.sql(condition);
        return new SegmentQuery(sql, params);
    }

    /**
     * A condition whose leaves all read the question's scope, compiled to one predicate over the
     * contact's fact row {@code f} of that scope. There is at most one such row per contact, so a
     * tree of {@code EXISTS} leaves is the same as {@code EXISTS} of the tree of their predicates:
     * the question becomes one scan of {@code contact_fact} instead of a probe per contact and
     * leaf. Contacts without a row in the scope match exactly when the tree holds with every leaf
     * false ({@link #matchesWithoutFacts}).
     *
     * @param predicate           the boolean expression over {@code f}. A leaf under NOT is
     *                            coalesced to false, as its EXISTS would be; elsewhere NULL already
     *                            acts as false (AND/OR alone are monotone), and a bare leaf lets
     *                            the planner use the partial indexes ({@code WHERE has_abandoned})
     * @param parameters          its parameters, the scope first
     * @param matchesWithoutFacts whether a contact with no fact row in the scope matches
     */
    public record FactScan(String predicate, List<Object> parameters, boolean matchesWithoutFacts) {
        public FactScan {
            parameters = List.copyOf(parameters);
        }
    }

    /**
     * The single-scan form of {@code condition}, numbering parameters from {@code firstParameter}
     * ({@code $firstParameter} is the scope); empty when leaves read fact rows of different
     * scopes. A leaf naming a store reads that store's row, so "has an abandoned cart in store X"
     * asked over every store is a scan of X's rows.
     */
    public static java.util.Optional<FactScan> factScan(Condition condition, String storeId, int firstParameter) {
        java.util.Set<String> scopes = new java.util.HashSet<>();
        scopes(condition, storeId == null ? "" : storeId, scopes);
        // Visits are not in contact_fact (a contact may have views and no commerce fact at all).
        if (scopes.size() > 1 || readsVisits(condition)) {
            return java.util.Optional.empty();
        }
        String scope = scopes.isEmpty() ? (storeId == null ? "" : storeId) : scopes.iterator().next();
        List<Object> params = new ArrayList<>();
        params.add(scope);
        Compiler compiler = new Compiler(scope.isEmpty() ? null : scope, firstParameter + 1, new ArrayList<>());
        compiler.rowOnly = true;
        String sql = compiler.sql(condition);
        params.addAll(compiler.params);
        return java.util.Optional.of(new FactScan("f.scope = $" + firstParameter + " AND " + sql, params, withoutFacts(condition)));
    }

    /** The scopes (fact rows) the leaves of {@code condition} read. */
    private static void scopes(Condition condition, String questionScope, java.util.Set<String> into) {
        if (condition instanceof Condition.And and) {
            and.conditions().forEach(c -> scopes(c, questionScope, into));
            return;
        }
        if (condition instanceof Condition.Or or) {
            or.conditions().forEach(c -> scopes(c, questionScope, into));
            return;
        }
        if (condition instanceof Condition.Not not) {
            scopes(not.condition(), questionScope, into);
            return;
        }
        String leafStore = condition instanceof Condition.HasAbandonedCart h ? h.storeId()
                : condition instanceof Condition.HasRecoveredCart h2 ? h2.storeId()
                : condition instanceof Condition.HasPurchased h3 ? h3.storeId()
                : condition instanceof Condition.HasUrlTrackedPurchase h4 ? h4.storeId() : null;
        into.add(leafStore != null ? leafStore : questionScope);
    }

    /** Whether a leaf of {@code condition} reads page visits. */
    static boolean readsVisits(Condition condition) {
        if (condition instanceof Condition.And and) {
            return and.conditions().stream().anyMatch(SegmentQuery::readsVisits);
        }
        if (condition instanceof Condition.Or or) {
            return or.conditions().stream().anyMatch(SegmentQuery::readsVisits);
        }
        if (condition instanceof Condition.Not not) {
            return readsVisits(not.condition());
        }
        return condition instanceof Condition.VisitedUrl;
    }

    /** The tree's value for a contact with no fact row: every leaf false. */
    private static boolean withoutFacts(Condition condition) {
        if (condition instanceof Condition.And and) {
            return and.conditions().stream().allMatch(SegmentQuery::withoutFacts);
        }
        if (condition instanceof Condition.Or or) {
            return or.conditions().stream().anyMatch(SegmentQuery::withoutFacts);
        }
        if (condition instanceof Condition.Not not) {
            return !withoutFacts(not.condition());
        }
        return false;
    }

    private static final class Compiler {
        private final String scope;
        private final int first;
        private final List<Object> params;
        /** Leaves as predicates over the row f itself (see FactScan), not EXISTS probes. */
        private boolean rowOnly;
        /** Whether the leaf being compiled is under an odd number of NOTs. */
        private boolean negated;
        /** Visited-URL leaves as sums over the contact {@code c}'s own counts (see compile). */
        private boolean perContact;

        Compiler(String storeId, int first, List<Object> params) {
            this.scope = storeId == null ? "" : storeId;
            this.first = first;
            this.params = params;
        }

        private String param(Object value) {
            params.add(value);
            return "$" + (first + params.size() - 1);
        }

        private String fact(String storeId, String predicate) {
            if (rowOnly) {
                return negated ? "COALESCE((" + predicate + "), false)" : "(" + predicate + ")";
            }
            String s = storeId != null ? storeId : scope;
            return "EXISTS (SELECT 1 FROM contact_fact f WHERE f.contact_id = c.contact_id AND f.scope = " + param(s)
                    + " AND " + predicate + ")";
        }

        String sql(Condition condition) {
            if (condition instanceof Condition.And and) {
                return join(and.conditions(), " AND ");
            }
            if (condition instanceof Condition.Or or) {
                return join(or.conditions(), " OR ");
            }
            if (condition instanceof Condition.Not not) {
                negated = !negated;
                String inner = sql(not.condition());
                negated = !negated;
                return "NOT (" + inner + ")";
            }
            if (condition instanceof Condition.HasAbandonedCart h) {
                return fact(h.storeId(), "f.has_abandoned");
            }
            if (condition instanceof Condition.HasRecoveredCart h) {
                return fact(h.storeId(), "f.recovered_count > 0");
            }
            if (condition instanceof Condition.HasPurchased h) {
                return fact(h.storeId(), "f.purchase_count > 0"
                        + (h.since() == null ? "" : " AND f.last_purchase_time >= " + param(java.time.OffsetDateTime.ofInstant(h.since(), java.time.ZoneOffset.UTC))));
            }
            if (condition instanceof Condition.HasUrlTrackedPurchase h) {
                return fact(h.storeId(), "f.url_purchase_count > 0"
                        + (h.since() == null ? "" : " AND f.last_url_purchase_time >= "
                        + param(java.time.OffsetDateTime.ofInstant(h.since(), java.time.ZoneOffset.UTC))));
            }
            if (condition instanceof Condition.VisitedUrl u) {
                return visited(u);
            }
            if (condition instanceof Condition.LastValue v) {
                String currency = v.currencyCode() == null ? "" : " AND f.last_currency_code = " + param(v.currencyCode());
                return fact(null, "f.has_abandoned" + currency + " AND f.last_total " + v.operator().sql() + " " + param(v.amount()));
            }
            if (condition instanceof Condition.LastProductCount n) {
                return fact(null, "f.has_abandoned AND f.last_product_count " + n.operator().sql() + " " + param(n.count()));
            }
            if (condition instanceof Condition.LastProductName n) {
                String text = n.text().toLowerCase(java.util.Locale.ROOT);
                return switch (n.operator()) {
                    case IS -> fact(null, "f.has_abandoned AND " + param(text) + " = ANY (f.last_product_names)");
                    case IS_NOT -> fact(null, "f.has_abandoned AND NOT (" + param(text) + " = ANY (f.last_product_names))");
                    case CONTAINS -> fact(null, "f.has_abandoned AND EXISTS (SELECT 1 FROM unnest(f.last_product_names) AS n(name) "
                            + "WHERE strpos(n.name, " + param(text) + ") > 0)");
                    case DOES_NOT_CONTAIN -> fact(null, "f.has_abandoned AND NOT EXISTS (SELECT 1 FROM unnest(f.last_product_names) "
                            + "AS n(name) WHERE strpos(n.name, " + param(text) + ") > 0)");
                };
            }
            if (condition instanceof Condition.LastStatus st) {
                // Case-insensitive; a cart without status has the empty status.
                return fact(null, "f.has_abandoned AND lower(coalesce(f.last_status, '')) " + (st.is() ? "= " : "<> ")
                        + "lower(" + param(st.text()) + ")");
            }
            throw new IllegalArgumentException("unknown condition " + condition);
        }

        /**
         * The pattern is matched against the URL dictionary first (one row per distinct URL), and
         * only the counts of the matching URL ids are summed: through the index by URL for the
         * set of matching contacts (a semi-join, or a hashed subplan under OR / NOT), through the
         * primary key for one contact's sum.
         */
        private String visited(Condition.VisitedUrl u) {
            if (rowOnly) {
                throw new IllegalStateException("visited-URL leaves are not contact_fact predicates");
            }
            String store = u.storeId() != null ? u.storeId() : scope;
            String column = u.pattern().target() == org.relance.kit.url.UrlPattern.Target.WHOLE_URL ? "p.url" : "p.path_and_query";
            StringBuilder urls = new StringBuilder("SELECT p.url_id FROM page_url p WHERE ");
            if (!store.isEmpty()) {
                urls.append("p.store_id = ").append(param(store)).append(" AND ");
            }
            urls.append(column).append(" ILIKE ").append(param(u.pattern().sqlLike())).append(" ESCAPE '\\'");
            String days = "";
            if (u.withinDays() > 0) {
                days = " AND v.day >= (now() AT TIME ZONE 'UTC')::date - " + param(u.withinDays() - 1) + "::int";
            } else if (u.fromDay() != null) {
                days = " AND v.day >= " + param(u.fromDay().toString()) + "::date";
            }
            long min = Math.max(1, u.minCount());
            if (perContact) {
                return "((SELECT coalesce(sum(v.views), 0) FROM contact_page_day v WHERE v.contact_id = c.contact_id AND v.url_id IN ("
                        + urls + ")" + days + ") >= " + param(min) + "::bigint)";
            }
            return "c.contact_id IN (SELECT v.contact_id FROM contact_page_day v WHERE v.url_id IN (" + urls + ")" + days
                    + " GROUP BY v.contact_id HAVING sum(v.views) >= " + param(min) + "::bigint)";
        }

        private String join(List<Condition> children, String operator) {
            if (children.isEmpty()) {
                // The empty AND is the question without a condition: every contact.
                return operator.equals(" AND ") ? "TRUE" : "FALSE";
            }
            StringBuilder b = new StringBuilder("(");
            for (int i = 0; i < children.size(); i++) {
                if (i > 0) {
                    b.append(operator);
                }
                b.append(sql(children.get(i)));
            }
            return b.append(')').toString();
        }
    }
}
