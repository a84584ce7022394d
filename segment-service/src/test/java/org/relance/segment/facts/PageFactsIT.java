package org.relance.segment.facts;

import com.google.protobuf.Timestamp;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.PageEvent;
import org.relance.api.cart.v1.PageEventType;
import org.relance.api.cart.v1.PageView;
import org.relance.kit.db.Database;
import org.relance.kit.db.Sql;
import org.relance.kit.url.UrlPattern;
import org.relance.segment.domain.Condition;
import org.relance.segment.persistence.ContactRepository;
import org.relance.segment.persistence.FactsStore;
import org.relance.segment.persistence.SegmentRepository;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The page-visit facts on a real PostgreSQL, fed with page events exactly as
 * PageViewService.WatchPageEvents delivers them (the consumers are off, so that the test decides
 * what arrives and when): attribution of anonymous views when the visitor is linked, in the log's
 * order; a repeated batch applied once; every visited-URL variant answered alike by count, stream
 * and match; erasure. {@code SegmentPageViewsIT} runs the same meaning end to end through the
 * cart service.
 */
@QuarkusTest
@TestProfile(PageFactsIT.NoConsumers.class)
class PageFactsIT {
    /** No stream consumer, no dispatcher: the events of this test are the only input. */
    public static class NoConsumers implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("relance.segment.consume", "false", "relance.segment.notifications.enabled", "false");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Inject
    FactsStore facts;
    @Inject
    SegmentRepository segments;
    @Inject
    ContactRepository contacts;
    @Inject
    Database database;

    private long sequence;

    private static Timestamp ts(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }

    private PageEvent view(String store, String visitor, String contact, String url, Instant when) {
        return PageEvent.newBuilder().setSequence(++sequence).setType(PageEventType.PAGE_EVENT_TYPE_VIEWED).setOccurTime(ts(when))
                .setStoreId(store).setVisitorId(visitor).setContactId(contact)
                .setPageView(PageView.newBuilder().setViewId(UUID.randomUUID().toString()).setUrl(url).setViewTime(ts(when))
                        .setStoreId(store).setSiteId(store + "-site").setVisitorId(visitor).setContactId(contact))
                .build();
    }

    private PageEvent link(String store, String visitor, String contact) {
        return PageEvent.newBuilder().setSequence(++sequence).setType(PageEventType.PAGE_EVENT_TYPE_VISITOR_LINKED)
                .setOccurTime(ts(Instant.now())).setStoreId(store).setVisitorId(visitor).setContactId(contact).build();
    }

    private List<String> ids(Condition c, String scope) {
        List<String> all = new ArrayList<>();
        String after = "";
        while (true) {
            List<String> page = segments.ids(c, scope, after, 2).await().atMost(WAIT);
            all.addAll(page);
            if (page.size() < 2) {
                return all;
            }
            after = page.get(page.size() - 1);
        }
    }

    /** Count, stream and match give one answer: exactly {@code expected} among {@code people}. */
    private void assertSegment(Condition c, String scope, List<String> people, String... expected) {
        List<String> streamed = ids(c, scope);
        assertThat(streamed.stream().filter(people::contains).toList()).as("stream of " + c).containsExactlyInAnyOrder(expected);
        assertThat(segments.count(c, scope).await().atMost(WAIT)).as("count of " + c).isEqualTo(streamed.size());
        for (String p : people) {
            assertThat(segments.matches(p, c, scope).await().atMost(WAIT)).as("match of " + p + " for " + c)
                    .isEqualTo(List.of(expected).contains(p));
        }
    }

    private static Condition visited(String pattern, long min, int withinDays, LocalDate from, String store) {
        return new Condition.VisitedUrl(UrlPattern.parse(pattern), min, withinDays, from, store);
    }

    private long rows(String sql, String arg) {
        return database.withConnection(c -> Sql.query(c, sql, row -> row.get("n", Long.class), arg)).blockFirst();
    }

    @Test
    void visitsAreCountedPerContactAndMovedWhenTheVisitorIsLinked() {
        sequence = facts.position(FactsStore.PAGE).await().atMost(WAIT);
        String u = UUID.randomUUID().toString().substring(0, 6);
        String s1 = "s1-" + u;
        String s2 = "s2-" + u;
        String alice = "alice-" + u;
        String bob = "bob-" + u;
        String carol = "carol-" + u;
        String dave = "dave-" + u;
        List<String> people = List.of(alice, bob, carol, dave);
        Instant now = Instant.now();
        Instant tenDaysAgo = now.minus(10, ChronoUnit.DAYS);
        String shop = "https://shop-" + u + ".example";

        List<PageEvent> batch = new ArrayList<>();
        // Bob browses anonymously (visitor vb), is linked, then browses on without the contact in the event.
        batch.add(view(s1, "vb-" + u, "", shop + "/product/1", now));
        batch.add(view(s1, "vb-" + u, "", shop + "/product/1", now));
        batch.add(view(s1, "vb-" + u, "", shop + "/cart", tenDaysAgo));
        batch.add(link(s1, "vb-" + u, bob));
        batch.add(view(s1, "vb-" + u, "", shop + "/product/9?ref=mail", now));
        // Alice is known when she browses.
        batch.add(view(s1, "va-" + u, alice, shop + "/product/2", now));
        batch.add(view(s1, "va-" + u, alice, shop + "/product/3", tenDaysAgo));
        // Carol, in the other store; dave stays anonymous (never linked).
        batch.add(view(s2, "vc-" + u, carol, "https://other-" + u + ".example/product/1", now));
        batch.add(view(s1, "vd-" + u, "", shop + "/product/1", now));
        facts.applyPageEvents(batch).await().atMost(WAIT);
        // The same events again (a reconnect resends from an older position): nothing doubles.
        facts.applyPageEvents(batch.subList(2, batch.size())).await().atMost(WAIT);
        // Dave exists as a contact (upserted) but has no attributed view.
        contacts.upsert(new org.relance.segment.domain.Contact(dave, null, null, null, null, null, 0, null, null, null, null))
                .await().atMost(WAIT);

        assertThat(rows("SELECT coalesce(sum(views), 0) AS n FROM contact_page_day WHERE contact_id = $1", bob)).isEqualTo(4);
        assertThat(rows("SELECT coalesce(sum(views), 0) AS n FROM visitor_page_day WHERE visitor_id = $1", "vb-" + u)).isZero();
        assertThat(rows("SELECT coalesce(sum(views), 0) AS n FROM visitor_page_day WHERE visitor_id = $1", "vd-" + u)).isEqualTo(1);
        assertThat(rows("SELECT count(*) AS n FROM page_url WHERE store_id = $1", s1)).isEqualTo(5);

        // On the path, any store: everyone who saw a product page, attributed.
        assertSegment(visited("/product/*", 1, 0, null, null), null, people, alice, bob, carol);
        // The whole URL names the host: only s2's shop.
        assertSegment(visited("https://other-" + u + ".example/*", 1, 0, null, null), null, people, carol);
        // Case is ignored; the query is part of the path matched.
        assertSegment(visited("/PRODUCT/9?ref=*", 1, 0, null, null), null, people, bob);
        // Store filter, on the leaf or by the question's scope.
        assertSegment(visited("/product/*", 1, 0, null, s1), null, people, alice, bob);
        assertSegment(visited("/product/*", 1, 0, null, null), s2, people, carol);
        // min_count: bob saw product pages 3 times, alice twice (once ten days ago).
        assertSegment(visited("/product/*", 3, 0, null, null), null, people, bob);
        assertSegment(visited("/product/*", 2, 0, null, null), null, people, alice, bob);
        // Today only: alice's second view is too old.
        assertSegment(visited("/product/*", 2, 1, null, null), null, people, bob);
        assertSegment(visited("/cart", 1, 10, null, null), null, people);
        assertSegment(visited("/cart", 1, 11, null, null), null, people, bob);
        // since: the UTC day of the time given, whatever its hour.
        LocalDate tenDays = LocalDate.ofInstant(tenDaysAgo, ZoneOffset.UTC);
        assertSegment(visited("/product/3", 1, 0, tenDays, null), null, people, alice);
        assertSegment(visited("/product/3", 1, 0, tenDays.plusDays(1), null), null, people);
        // Inside trees.
        Condition product = visited("/product/*", 1, 0, null, null);
        Condition cart = visited("/cart*", 1, 0, null, null);
        assertSegment(new Condition.Not(product), null, people, dave);
        assertSegment(new Condition.And(List.of(product, new Condition.Not(cart))), null, people, alice, carol);
        assertSegment(new Condition.Or(List.of(cart, visited("*/product/1", 1, 0, null, s2))), null, people, bob, carol);
        assertSegment(new Condition.And(List.of(product, new Condition.Not(new Condition.HasAbandonedCart(null)))), null, people,
                alice, bob, carol);

        // Erasure: bob's visit facts go, his visitor's later anonymous views cannot come back to him.
        long bobRows = rows("SELECT count(*) AS n FROM contact_page_day WHERE contact_id = $1", bob);
        var erased = contacts.eraseLocal(bob, null).await().atMost(WAIT);
        assertThat(erased.pageViews()).isEqualTo(bobRows).isEqualTo(3);
        facts.applyPageEvents(List.of(link(s1, "vb-" + u, bob), view(s1, "vx-" + u, bob, shop + "/product/1", now)))
                .await().atMost(WAIT);
        assertThat(rows("SELECT count(*) AS n FROM contact_page_day WHERE contact_id = $1", bob)).isZero();
        assertThat(rows("SELECT count(*) AS n FROM page_visitor WHERE contact_id = $1", bob)).isZero();
        assertSegment(product, null, List.of(alice, carol, dave), alice, carol);
    }
}
