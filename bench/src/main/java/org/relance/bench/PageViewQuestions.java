package org.relance.bench;

import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.kit.url.UrlPattern;

/**
 * The questions of the {@code pageviews-segments} scenario, each built three times from the
 * same parameters: as the service is asked it (a {@link SegmentCondition}); as the plain SQL an
 * analyst would write over the same daily counts (the dictionary joined, GROUP BY contact,
 * HAVING the sum); and over the raw views ({@code bench_raw.page_view}, no facts:
 * {@code count(DISTINCT contact_id) ... WHERE url ILIKE ...}). A pattern's meaning is
 * {@link UrlPattern}'s: {@code sqlLike()} against the whole URL, or against its path and query
 * when it starts with '/' (in the raw table, the URL after its host). Days are UTC days, as in
 * the service: "within N days" is from today minus N - 1, "since" from the UTC day of the time.
 * Commerce leaves read {@code contact_fact} on every side (the raw baseline is about the views).
 */
final class PageViewQuestions {
    /**
     * One question: a label, the condition, and SQL predicates over a contact {@code k} for the
     * daily counts (a set of contacts, and one contact's own sum for a match) and for the raw
     * views; for a lone visited-URL leaf, the count without the contact table.
     */
    record Q(String label, SegmentCondition proto, String facts, String factsOne, String raw, String factsLeafCount, String rawLeafCount) {
        String factsCount() {
            return factsLeafCount != null ? factsLeafCount : "SELECT count(*) FROM contact k WHERE " + facts;
        }

        String rawCount() {
            return rawLeafCount != null ? rawLeafCount : "SELECT count(*) FROM contact k WHERE " + raw;
        }

        String factsIds() {
            return "SELECT k.contact_id FROM contact k WHERE " + facts + " ORDER BY k.contact_id";
        }

        String rawIds() {
            return "SELECT k.contact_id FROM contact k WHERE " + raw + " ORDER BY k.contact_id";
        }

        /** One contact ({@code ?}), its own counts through the primary key. */
        String factsMatch() {
            return "SELECT " + factsOne + " FROM contact k WHERE k.contact_id = ?";
        }
    }

    /** The path and query of a raw URL (every generated URL is https://host/path). */
    private static final String RAW_PATH = "substr(url, strpos(substr(url, 9), '/') + 8)";

    private PageViewQuestions() {
    }

    /** The seven counts of issue 10. */
    static List<Q> counts(Instant t0) {
        Instant since = t0.minus(java.time.Duration.ofDays(60));
        return List.of(
                visited("/product/*", 1, 0, null, null),
                visited("/product/1*", 3, 30, null, null),
                visited("https://shop.example/category/*", 1, 0, since, null),
                visited("/product/*", 1, 0, null, PageViewData.OTHER_STORE),
                not(visited("/cart*", 1, 0, null, null)),
                and(visited("/product/*", 1, 0, null, null), not(hasAbandoned())),
                or(hasAbandoned(), visited("/blog/*", 1, 0, null, null)));
    }

    static Q visited(String pattern, long min, int withinDays, Instant since, String store) {
        UrlPattern p = UrlPattern.parse(pattern);
        SegmentCondition.VisitedUrl.Builder b = SegmentCondition.VisitedUrl.newBuilder().setUrlPattern(pattern).setMinCount(min)
                .setWithinDays(withinDays).setStoreId(store == null ? "" : store);
        if (since != null) {
            b.setSince(Timestamp.newBuilder().setSeconds(since.getEpochSecond()));
        }
        String like = literal(p.sqlLike());
        boolean path = p.target() == UrlPattern.Target.PATH_AND_QUERY;
        LocalDate from = since == null ? null : LocalDate.ofInstant(since, ZoneOffset.UTC);

        String factsWhere = "p." + (path ? "path_and_query" : "url") + " ILIKE " + like + " ESCAPE '\\'"
                + (store == null ? "" : " AND p.store_id = " + literal(store))
                + (withinDays > 0 ? " AND v.day >= (now() AT TIME ZONE 'UTC')::date - " + (withinDays - 1) : "")
                + (from != null ? " AND v.day >= DATE '" + from + "'" : "");
        String factsSet = "SELECT v.contact_id FROM contact_page_day v JOIN page_url p ON p.url_id = v.url_id WHERE " + factsWhere
                + " GROUP BY v.contact_id HAVING sum(v.views) >= " + min;
        String factsOne = "(coalesce((SELECT sum(v.views) FROM contact_page_day v JOIN page_url p ON p.url_id = v.url_id "
                + "WHERE v.contact_id = k.contact_id AND " + factsWhere + "), 0) >= " + min + ")";

        String rawWhere = (path ? RAW_PATH : "url") + " ILIKE " + like + " ESCAPE '\\'"
                + (store == null ? "" : " AND store_id = " + literal(store))
                + (withinDays > 0 ? " AND view_time >= ((now() AT TIME ZONE 'UTC')::date - " + (withinDays - 1) + ")::timestamp AT TIME ZONE 'UTC'" : "")
                + (from != null ? " AND view_time >= TIMESTAMPTZ '" + from + " 00:00:00+00'" : "");
        String rawSet = "SELECT contact_id FROM bench_raw.page_view WHERE " + rawWhere
                + (min > 1 ? " GROUP BY contact_id HAVING count(*) >= " + min : "");
        String rawLeaf = min > 1 ? "SELECT count(*) FROM (" + rawSet + ") s"
                : "SELECT count(DISTINCT contact_id) FROM bench_raw.page_view WHERE " + rawWhere;

        StringBuilder label = new StringBuilder("visited ").append(pattern);
        if (min > 1) {
            label.append(" at least ").append(min).append(" times");
        }
        if (withinDays > 0) {
            label.append(" within ").append(withinDays).append(" days");
        }
        if (from != null) {
            label.append(" since ").append(from);
        }
        if (store != null) {
            label.append(" in ").append(store);
        }
        return new Q(label.toString(), SegmentCondition.newBuilder().setVisitedUrl(b).build(),
                "k.contact_id IN (" + factsSet + ")", factsOne, "k.contact_id IN (" + rawSet + ")",
                "SELECT count(*) FROM (" + factsSet + ") s", rawLeaf);
    }

    static Q hasAbandoned() {
        String sql = "EXISTS (SELECT 1 FROM contact_fact f WHERE f.contact_id = k.contact_id AND f.scope = '' AND f.has_abandoned)";
        return new Q("has abandoned cart", SegmentCondition.newBuilder().setHasAbandonedCart(
                SegmentCondition.HasAbandonedCart.getDefaultInstance()).build(), sql, sql, sql, null, null);
    }

    static Q not(Q q) {
        return new Q("NOT " + q.label(), SegmentCondition.newBuilder().setNotCondition(SegmentCondition.Not.newBuilder()
                .setCondition(q.proto())).build(), "NOT " + q.facts(), "NOT " + q.factsOne(), "NOT " + q.raw(), null, null);
    }

    static Q and(Q a, Q b) {
        return new Q("(" + a.label() + " AND " + b.label() + ")", SegmentCondition.newBuilder().setAndCondition(
                SegmentCondition.And.newBuilder().addConditions(a.proto()).addConditions(b.proto())).build(),
                "(" + a.facts() + " AND " + b.facts() + ")", "(" + a.factsOne() + " AND " + b.factsOne() + ")",
                "(" + a.raw() + " AND " + b.raw() + ")", null, null);
    }

    static Q or(Q a, Q b) {
        return new Q("(" + a.label() + " OR " + b.label() + ")", SegmentCondition.newBuilder().setOrCondition(
                SegmentCondition.Or.newBuilder().addConditions(a.proto()).addConditions(b.proto())).build(),
                "(" + a.facts() + " OR " + b.facts() + ")", "(" + a.factsOne() + " OR " + b.factsOne() + ")",
                "(" + a.raw() + " OR " + b.raw() + ")", null, null);
    }

    private static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }
}
