package org.relance.segment.grpc;

import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.kit.error.FieldViolation;
import org.relance.kit.error.InvalidArgumentException;
import org.relance.kit.error.Violations;
import org.relance.kit.url.UrlPattern;
import org.relance.segment.domain.Condition;
import org.relance.segment.domain.SegmentQuery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The page-visit conditions from the proto tree to the domain and to SQL, without a server. */
class VisitConditionsTest {

    private static SegmentCondition visited(SegmentCondition.VisitedUrl.Builder b) {
        return SegmentCondition.newBuilder().setVisitedUrl(b).build();
    }

    private static Condition map(SegmentCondition c, String scope, Map<String, String> stores) {
        Violations v = new Violations();
        Condition mapped = new ConditionMapper(v, stores, scope).map(c, "condition", 1);
        v.throwIfAny();
        return mapped;
    }

    private static List<String> refusals(SegmentCondition c) {
        try {
            map(c, "", new HashMap<>());
        } catch (InvalidArgumentException e) {
            return e.violations().stream().map(f -> f.field() + ": " + f.description()).toList();
        }
        return List.of();
    }

    @Test
    void aVisitedUrlKeepsItsPatternCountDaysAndStore() {
        Map<String, String> stores = new HashMap<>();
        Condition c = map(visited(SegmentCondition.VisitedUrl.newBuilder().setUrlPattern("/product/**").setMinCount(3)
                .setSince(Timestamp.newBuilder().setSeconds(Instant.parse("2026-03-04T23:59:59Z").getEpochSecond()))
                .setStoreId("shop")), "", stores);
        assertThat(c).isInstanceOfSatisfying(Condition.VisitedUrl.class, u -> {
            assertThat(u.pattern().text()).isEqualTo("/product/*");
            assertThat(u.pattern().target()).isEqualTo(UrlPattern.Target.PATH_AND_QUERY);
            assertThat(u.minCount()).isEqualTo(3);
            assertThat(u.fromDay()).isEqualTo(LocalDate.parse("2026-03-04"));
            assertThat(u.withinDays()).isZero();
            assertThat(u.storeId()).isEqualTo("shop");
        });
        assertThat(stores).containsEntry("shop", "condition.visited_url.store_id");
        // 0 means 1.
        Condition once = map(visited(SegmentCondition.VisitedUrl.newBuilder().setUrlPattern("https://shop.example/*")), "", new HashMap<>());
        assertThat(((Condition.VisitedUrl) once).minCount()).isEqualTo(1);
        assertThat(((Condition.VisitedUrl) once).pattern().target()).isEqualTo(UrlPattern.Target.WHOLE_URL);
    }

    @Test
    void invalidVisitedUrlsAreRefusedWithTheirFieldAndReason() {
        assertThat(refusals(visited(SegmentCondition.VisitedUrl.newBuilder().setUrlPattern("cart"))))
                .containsExactly("condition.visited_url.url_pattern: must start with '/' (path and query), 'http://', 'https://' or '*' (whole URL)");
        assertThat(refusals(visited(SegmentCondition.VisitedUrl.newBuilder())))
                .containsExactly("condition.visited_url.url_pattern: is required");
        assertThat(refusals(SegmentCondition.newBuilder().setNotCondition(SegmentCondition.Not.newBuilder().setCondition(
                visited(SegmentCondition.VisitedUrl.newBuilder().setUrlPattern("/cart#top").setMinCount(-1).setWithinDays(7)
                        .setSince(Timestamp.newBuilder().setSeconds(1))))).build()))
                .containsExactlyInAnyOrder(
                        "condition.not_condition.condition.visited_url.url_pattern: must not contain '#': fragments are removed from URLs before matching",
                        "condition.not_condition.condition.visited_url.min_count: must not be negative",
                        "condition.not_condition.condition.visited_url.since: give at most one of within_days and since");
        assertThat(refusals(visited(SegmentCondition.VisitedUrl.newBuilder().setUrlPattern("/a").setWithinDays(-2))))
                .containsExactly("condition.visited_url.within_days: must not be negative");
    }

    @Test
    void aUrlTrackedPurchaseNamingAnotherStoreThanTheQuestionsIsRefused() {
        Violations v = new Violations();
        new ConditionMapper(v, new HashMap<>(), "a").map(SegmentCondition.newBuilder().setHasUrlTrackedPurchase(
                SegmentCondition.HasUrlTrackedPurchase.newBuilder().setStoreId("b")).build(), "condition", 1);
        assertThatThrownBy(v::throwIfAny).isInstanceOfSatisfying(InvalidArgumentException.class, e ->
                assertThat(e.violations()).extracting(FieldViolation::field).containsExactly("condition.has_url_tracked_purchase.store_id"));
    }

    @Test
    void aUrlTrackedPurchaseIsAFactRowLeafAndVisitsAreNot() {
        Condition purchase = new Condition.HasUrlTrackedPurchase("s1", Instant.parse("2026-01-01T00:00:00Z"));
        var scan = SegmentQuery.factScan(new Condition.Not(purchase), null, 1).orElseThrow();
        assertThat(scan.predicate()).contains("f.url_purchase_count > 0").contains("f.last_url_purchase_time >=");
        assertThat(scan.parameters().get(0)).isEqualTo("s1");
        assertThat(scan.matchesWithoutFacts()).isTrue();

        Condition visit = new Condition.VisitedUrl(UrlPattern.parse("/cart_100%*"), 2, 7, null, null);
        assertThat(SegmentQuery.factScan(new Condition.And(List.of(purchase, visit)), null, 1)).isEmpty();
        SegmentQuery set = SegmentQuery.compile(visit, "s1", 1);
        // Matched in the dictionary of the question's store, '_' and '%' escaped, the last 7 days (today and 6 before).
        assertThat(set.predicate()).startsWith("c.contact_id IN (SELECT v.contact_id FROM contact_page_day v")
                .contains("p.path_and_query ILIKE $2 ESCAPE '\\'").contains("HAVING sum(v.views) >= $4::bigint");
        assertThat(set.parameters()).containsExactly("s1", "/cart\\_100\\%%", 6, 2L);
        SegmentQuery one = SegmentQuery.compile(visit, null, 2, true);
        assertThat(one.predicate()).contains("v.contact_id = c.contact_id").doesNotContain("p.store_id");
        assertThat(one.parameters()).containsExactly("/cart\\_100\\%%", 6, 2L);
    }
}
