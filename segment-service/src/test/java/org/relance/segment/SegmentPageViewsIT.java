package org.relance.segment;

import com.google.protobuf.Duration;
import com.google.protobuf.FieldMask;
import com.google.protobuf.Timestamp;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.CreateSiteRequest;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.LinkVisitorRequest;
import org.relance.api.cart.v1.PageView;
import org.relance.api.cart.v1.PageViewServiceGrpc;
import org.relance.api.cart.v1.RecordPageViewsRequest;
import org.relance.api.cart.v1.RecordPageViewsResponse;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.cart.v1.UpdateSiteRequest;
import org.relance.api.segment.v1.ContactServiceGrpc;
import org.relance.api.segment.v1.CountContactsRequest;
import org.relance.api.segment.v1.CreateTriggerRequest;
import org.relance.api.segment.v1.EraseContactRequest;
import org.relance.api.segment.v1.EraseContactResponse;
import org.relance.api.segment.v1.GetTriggerRequest;
import org.relance.api.segment.v1.IdentifyVisitorRequest;
import org.relance.api.segment.v1.MatchContactRequest;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.api.segment.v1.SegmentServiceGrpc;
import org.relance.api.segment.v1.StreamContactsRequest;
import org.relance.api.segment.v1.TriggerServiceGrpc;
import org.relance.api.segment.v1.UpsertContactRequest;
import org.relance.api.segment.v1.WebhookTarget;
import org.relance.kit.db.Database;
import org.relance.kit.db.Sql;
import org.relance.kit.grpc.BearerToken;
import org.relance.segment.support.SuiteProcesses;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Page views (seed 004) end to end: views recorded through the real cart service's
 * RecordPageViews, visitors linked through CartService.LinkVisitor or this service's
 * IdentifyVisitor, and the visited-URL and URL-tracked purchase questions answered from the facts
 * the page and cart event streams built.
 */
@QuarkusTest
@QuarkusTestResource(SuiteProcesses.class)
class SegmentPageViewsIT {
    @Inject
    Database database;

    private ManagedChannel own;
    private ManagedChannel cartChannel;
    private SegmentServiceGrpc.SegmentServiceBlockingStub segments;
    private ContactServiceGrpc.ContactServiceBlockingStub contacts;
    private TriggerServiceGrpc.TriggerServiceBlockingStub triggers;
    private CartServiceGrpc.CartServiceBlockingStub carts;
    private PageViewServiceGrpc.PageViewServiceBlockingStub pages;
    private StoreServiceGrpc.StoreServiceBlockingStub stores;
    private String u;
    private String store;
    private String site;
    private String shop;

    @BeforeEach
    void setUp() {
        BearerToken token = new BearerToken(SuiteProcesses.TOKEN);
        own = ManagedChannelBuilder.forAddress("localhost", ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class))
                .usePlaintext().build();
        cartChannel = ManagedChannelBuilder.forAddress("localhost", SuiteProcesses.cartPort()).usePlaintext().build();
        segments = SegmentServiceGrpc.newBlockingStub(own).withCallCredentials(token);
        contacts = ContactServiceGrpc.newBlockingStub(own).withCallCredentials(token);
        triggers = TriggerServiceGrpc.newBlockingStub(own).withCallCredentials(token);
        carts = CartServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        pages = PageViewServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        stores = StoreServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        u = UUID.randomUUID().toString().substring(0, 6);
        store = "pv-" + u;
        shop = "https://shop-" + u + ".example";
        site = createStoreAndSite(store, shop);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (ManagedChannel c : List.of(own, cartChannel)) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** A store (abandonment after 5 s) and its site with a URL journey: /cart, then /thank-you. */
    private String createStoreAndSite(String storeId, String origin) {
        stores.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder().setStoreId(storeId).setCurrencyCode("EUR")
                .setAbandonmentDelay(Duration.newBuilder().setSeconds(5))).build());
        String siteId = storeId + "-web";
        stores.createSite(CreateSiteRequest.newBuilder().setSite(Site.newBuilder().setSiteId(siteId).setStoreId(storeId)
                .setDisplayName("Web").addAllowedOrigins(origin)).build());
        stores.updateSite(UpdateSiteRequest.newBuilder().setSite(Site.newBuilder().setSiteId(siteId).setCartPagePattern("/cart*")
                        .setThankYouPagePattern("/thank-you*"))
                .setUpdateMask(FieldMask.newBuilder().addPaths("cart_page_pattern").addPaths("thank_you_page_pattern")).build());
        return siteId;
    }

    private static Timestamp ts(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }

    private RecordPageViewsResponse record(String siteId, String visitor, String contact, Instant when, String... urls) {
        RecordPageViewsRequest.Builder b = RecordPageViewsRequest.newBuilder().setSiteId(siteId).setVisitorId(visitor);
        if (contact != null) {
            b.setContactId(contact);
        }
        for (String url : urls) {
            b.addPageViews(PageView.newBuilder().setViewId("pv-" + UUID.randomUUID()).setUrl(url).setViewTime(ts(when)));
        }
        return pages.recordPageViews(b.build());
    }

    private static SegmentCondition visited(String pattern, long min, int withinDays, Instant since, String storeId) {
        SegmentCondition.VisitedUrl.Builder b = SegmentCondition.VisitedUrl.newBuilder().setUrlPattern(pattern).setMinCount(min)
                .setWithinDays(withinDays).setStoreId(storeId);
        if (since != null) {
            b.setSince(ts(since));
        }
        return SegmentCondition.newBuilder().setVisitedUrl(b).build();
    }

    private static SegmentCondition urlPurchase(String storeId, Instant since) {
        SegmentCondition.HasUrlTrackedPurchase.Builder b = SegmentCondition.HasUrlTrackedPurchase.newBuilder().setStoreId(storeId);
        if (since != null) {
            b.setSince(ts(since));
        }
        return SegmentCondition.newBuilder().setHasUrlTrackedPurchase(b).build();
    }

    private static SegmentCondition and(SegmentCondition... c) {
        return SegmentCondition.newBuilder().setAndCondition(SegmentCondition.And.newBuilder().addAllConditions(List.of(c))).build();
    }

    private static SegmentCondition or(SegmentCondition... c) {
        return SegmentCondition.newBuilder().setOrCondition(SegmentCondition.Or.newBuilder().addAllConditions(List.of(c))).build();
    }

    private static SegmentCondition not(SegmentCondition c) {
        return SegmentCondition.newBuilder().setNotCondition(SegmentCondition.Not.newBuilder().setCondition(c)).build();
    }

    private long count(SegmentCondition c, String scope) {
        return segments.countContacts(CountContactsRequest.newBuilder().setCondition(c).setStoreId(scope).build()).getCount();
    }

    private List<String> stream(SegmentCondition c, String scope) {
        List<String> ids = new ArrayList<>();
        segments.streamContacts(StreamContactsRequest.newBuilder().setCondition(c).setStoreId(scope).setBatchSize(2).build())
                .forEachRemaining(r -> ids.addAll(r.getContactIdsList()));
        return ids;
    }

    private boolean matches(String contact, SegmentCondition c, String scope) {
        return segments.matchContact(MatchContactRequest.newBuilder().setContactId(contact).setCondition(c).setStoreId(scope).build())
                .getMatches();
    }

    /** Count, stream and match give one answer: exactly {@code expected} among {@code people}. */
    private void assertSegment(SegmentCondition c, String scope, List<String> people, String... expected) {
        List<String> streamed = stream(c, scope);
        assertThat(streamed.stream().filter(people::contains).toList()).as("stream of " + c).containsExactlyInAnyOrder(expected);
        for (String p : people) {
            assertThat(matches(p, c, scope)).as("match of " + p + " for " + c).isEqualTo(List.of(expected).contains(p));
        }
        assertThat(count(c, scope)).as("count of " + c).isEqualTo(streamed.size());
    }

    private static void eventually(Supplier<Boolean> condition) {
        await().atMost(30, TimeUnit.SECONDS).pollInterval(200, TimeUnit.MILLISECONDS).until(condition::get);
    }

    @Test
    void visitedUrlQuestionsCountViewsOfKnownAndLinkedVisitors() {
        String alice = "alice-" + u;
        String bob = "bob-" + u;
        String carol = "carol-" + u;
        String dave = "dave-" + u;
        List<String> people = List.of(alice, bob, carol, dave);
        Instant now = Instant.now();
        // Late yesterday (UTC): still less than a day old, so the cart service takes it.
        Instant yesterday = now.truncatedTo(ChronoUnit.DAYS).minusSeconds(60);
        contacts.upsertContact(UpsertContactRequest.newBuilder().setRequestId(UUID.randomUUID().toString())
                .setContact(org.relance.api.segment.v1.Contact.newBuilder().setContactId(dave)).build());

        // Alice is known when she browses; one of her views is yesterday's.
        record(site, "va-" + u, alice, now, shop + "/product/1", shop + "/product/2?utm_source=mail");
        record(site, "va-" + u, alice, yesterday, shop + "/product/3");
        // Bob browses anonymously, is linked by the cart service, browses on.
        record(site, "vb-" + u, null, now, shop + "/product/1", shop + "/blog/shipping");
        carts.linkVisitor(LinkVisitorRequest.newBuilder().setStoreId(store).setVisitorId("vb-" + u).setContactId(bob).build());
        record(site, "vb-" + u, null, now, shop + "/product/1");
        // Carol browses in another store, anonymously, and identifies herself through this service.
        String other = "pw-" + u;
        String otherShop = "https://other-" + u + ".example";
        String otherSite = createStoreAndSite(other, otherShop);
        record(otherSite, "vc-" + u, null, now, otherShop + "/product/1", otherShop + "/Product/1");
        contacts.identifyVisitor(IdentifyVisitorRequest.newBuilder().setStoreId(other).setVisitorId("vc-" + u).setContactId(carol).build());

        SegmentCondition product = visited("/product/*", 0, 0, null, "");
        eventually(() -> count(product, "") >= 3 && matches(bob, visited("/product/1", 2, 0, null, ""), "")
                && matches(carol, product, ""));

        assertSegment(product, "", people, alice, bob, carol);
        // The question's store, or the leaf's.
        assertSegment(product, store, people, alice, bob);
        assertSegment(visited("/product/*", 0, 0, null, other), "", people, carol);
        // The whole URL names the host; case is ignored; tracking parameters were removed.
        assertSegment(visited(otherShop + "/*", 0, 0, null, ""), "", people, carol);
        assertSegment(visited("*/PRODUCT/1", 2, 0, null, ""), "", people, bob, carol);
        assertSegment(visited("/product/2", 0, 0, null, ""), "", people, alice);
        assertSegment(visited("/product/2?utm_*", 0, 0, null, ""), "", people);
        // min_count counts views, not pages.
        assertSegment(visited("/product/*", 3, 0, null, ""), "", people, alice);
        assertSegment(visited("/product/*", 4, 0, null, ""), "", people);
        // Today only, then today and yesterday; since today's midnight leaves yesterday out.
        assertSegment(visited("/product/3", 0, 1, null, ""), "", people);
        assertSegment(visited("/product/3", 0, 2, null, ""), "", people, alice);
        assertSegment(visited("/product/*", 3, 0, now.truncatedTo(ChronoUnit.DAYS).plusSeconds(3600), ""), "", people);
        assertSegment(visited("/product/*", 2, 0, now.truncatedTo(ChronoUnit.DAYS).plusSeconds(3600), ""), "", people, alice, bob, carol);
        // In trees.
        assertSegment(not(product), "", people, dave);
        assertSegment(and(product, not(visited("/blog/*", 0, 0, null, ""))), "", people, alice, carol);
        assertSegment(or(visited("/blog/*", 0, 0, null, ""), visited("/product/*", 0, 0, null, other)), "", people, bob, carol);
        assertSegment(and(product, not(urlPurchase("", null))), "", people, alice, bob, carol);
    }

    @Test
    void aThankYouPageAfterTheCartPageIsAUrlTrackedPurchase() {
        String dana = "dana-" + u;
        String erin = "erin-" + u;
        List<String> people = List.of(dana, erin);
        Instant before = Instant.now().minusSeconds(1);
        RecordPageViewsResponse opened = record(site, "vd-" + u, dana, Instant.now(), shop + "/cart");
        assertThat(opened.getCartIdsList()).hasSize(1);
        RecordPageViewsResponse bought = record(site, "vd-" + u, dana, Instant.now(), shop + "/thank-you?order=12");
        assertThat(bought.getConvertedCartIdsList()).containsExactlyElementsOf(opened.getCartIdsList());
        // Erin reaches the cart page and leaves: a URL-tracked cart, abandoned like any cart.
        assertThat(record(site, "ve-" + u, erin, Instant.now(), shop + "/cart?step=1").getCartIdsList()).hasSize(1);

        SegmentCondition purchased = urlPurchase(store, null);
        SegmentCondition abandoned = SegmentCondition.newBuilder().setHasAbandonedCart(SegmentCondition.HasAbandonedCart.newBuilder()
                .setStoreId(store)).build();
        eventually(() -> matches(dana, purchased, "") && matches(erin, abandoned, ""));

        assertSegment(purchased, "", people, dana);
        assertSegment(urlPurchase("", before), store, people, dana);
        assertSegment(urlPurchase(store, Instant.now().plusSeconds(3600)), "", people);
        assertSegment(not(purchased), "", people, erin);
        assertSegment(abandoned, "", people, erin);
        // Not a transaction: "has purchased" stays false.
        assertSegment(SegmentCondition.newBuilder().setHasPurchased(SegmentCondition.HasPurchased.newBuilder().setStoreId(store)).build(),
                "", people);
        // Its page views count too.
        assertSegment(and(visited("/cart*", 0, 0, null, store), not(purchased)), "", people, erin);
        assertSegment(or(purchased, and(abandoned, visited("/cart?step=*", 0, 0, null, ""))), "", people, dana, erin);
        // The URL-tracked cart has no items and no total: "last abandoned cart" questions read it as such.
        assertSegment(SegmentCondition.newBuilder().setLastAbandonedCartProductCount(SegmentCondition.LastAbandonedCartProductCount.newBuilder()
                .setOperator(org.relance.api.segment.v1.NumberOperator.NUMBER_OPERATOR_EQUAL).setCount(0)).build(), store, people, erin);
    }

    @Test
    void invalidUrlPatternsAreRefusedWithTheirReasonAndChangeNothing() {
        SegmentCondition bad = and(visited("cart", 0, 0, null, ""), visited("/a", -1, 3, Instant.now(), ""));
        List<String> expected = List.of(
                "condition.and_condition.conditions[0].visited_url.url_pattern: must start with '/' (path and query), 'http://', "
                        + "'https://' or '*' (whole URL)",
                "condition.and_condition.conditions[1].visited_url.min_count: must not be negative",
                "condition.and_condition.conditions[1].visited_url.since: give at most one of within_days and since");
        assertThatThrownBy(() -> count(bad, "")).satisfies(e -> assertThat(violations(e)).containsExactlyInAnyOrderElementsOf(expected));
        assertThatThrownBy(() -> stream(bad, "")).satisfies(e -> assertThat(violations(e)).containsExactlyInAnyOrderElementsOf(expected));
        assertThatThrownBy(() -> matches("nobody-" + u, bad, "")).satisfies(e -> assertThat(violations(e))
                .containsExactlyInAnyOrderElementsOf(expected));
        // A trigger with such a condition is not created.
        String triggerId = "t-" + u;
        assertThatThrownBy(() -> triggers.createTrigger(CreateTriggerRequest.newBuilder().setRequestId(UUID.randomUUID().toString())
                .setTrigger(org.relance.api.segment.v1.Trigger.newBuilder().setTriggerId(triggerId).setStoreId(store).setDisplayName("Visitors")
                        .setWebhook(WebhookTarget.newBuilder().setUrl("http://localhost:9/hook").setSecret("a-secret-of-enough-length-1234"))
                        .setCondition(visited("/cart#top", 0, 0, null, ""))).build()))
                .satisfies(e -> assertThat(violations(e)).containsExactly(
                        "trigger.condition.visited_url.url_pattern: must not contain '#': fragments are removed from URLs before matching"));
        assertThatThrownBy(() -> triggers.getTrigger(GetTriggerRequest.newBuilder().setTriggerId(triggerId).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    private static List<String> violations(Throwable e) {
        assertThat(e).isInstanceOf(StatusRuntimeException.class);
        assertThat(((StatusRuntimeException) e).getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        com.google.rpc.Status status = io.grpc.protobuf.StatusProto.fromThrowable(e);
        return status.getDetailsList().stream().filter(d -> d.is(com.google.rpc.BadRequest.class)).flatMap(d -> {
            try {
                return d.unpack(com.google.rpc.BadRequest.class).getFieldViolationsList().stream();
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                throw new IllegalStateException(ex);
            }
        }).map(f -> f.getField() + ": " + f.getDescription()).toList();
    }

    @Test
    void erasureRemovesTheContactsVisitFacts() {
        String frank = "frank-" + u;
        String gina = "gina-" + u;
        record(site, "vf-" + u, frank, Instant.now(), shop + "/product/1", shop + "/product/2");
        record(site, "vf2-" + u, null, Instant.now(), shop + "/product/3");
        carts.linkVisitor(LinkVisitorRequest.newBuilder().setStoreId(store).setVisitorId("vf2-" + u).setContactId(frank).build());
        record(site, "vg-" + u, gina, Instant.now(), shop + "/product/1");
        SegmentCondition product = visited("/product/*", 0, 0, null, store);
        eventually(() -> count(visited("/product/*", 3, 0, null, store), "") >= 1 && matches(gina, product, ""));
        assertThat(matches(frank, visited("/product/*", 3, 0, null, store), "")).isTrue();

        EraseContactResponse erased = contacts.eraseContact(EraseContactRequest.newBuilder().setContactId(frank).build());
        // Three raw views in the cart service; three (contact, URL, day) counts here.
        assertThat(erased.getCart().getDeletedPageViewCount()).isEqualTo(3);
        assertThat(erased.getSegment().getDeletedPageViewCount()).isEqualTo(3);
        assertThat(erased.getSegment().getDeletedContactCount()).isEqualTo(1);
        await().during(1, TimeUnit.SECONDS).atMost(10, TimeUnit.SECONDS).until(() -> visitRows(frank) == 0);
        assertThat(stream(product, "")).contains(gina).doesNotContain(frank);
        assertThat(count(product, "")).isEqualTo(stream(product, "").size());
        assertThatThrownBy(() -> matches(frank, product, "")).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    private long visitRows(String contact) {
        return database.withConnection(c -> Sql.query(c, "SELECT (SELECT count(*) FROM contact_page_day WHERE contact_id = $1) "
                        + "+ (SELECT count(*) FROM page_visitor WHERE contact_id = $1) AS n",
                row -> row.get("n", Long.class), contact)).blockFirst();
    }
}
