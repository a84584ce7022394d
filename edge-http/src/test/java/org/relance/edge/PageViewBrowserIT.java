package org.relance.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.FieldMask;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.Cart;
import org.relance.api.cart.v1.CartSource;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.ListCartsRequest;
import org.relance.api.cart.v1.ListPageViewsRequest;
import org.relance.api.cart.v1.PageKind;
import org.relance.api.cart.v1.PageView;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.api.cart.v1.UpdateStoreRequest;
import org.relance.api.segment.v1.Contact;
import org.relance.api.segment.v1.CountContactsRequest;
import org.relance.api.segment.v1.FindContactByEmailRequest;
import org.relance.api.segment.v1.MatchContactRequest;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.edge.support.EdgeClient;
import org.relance.edge.support.FixtureServer;
import org.relance.edge.support.Scenarios;
import org.relance.edge.support.Services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Page views in Chromium (seed 004): a shop whose pages only carry the script tag, a site whose
 * cart and thank-you page patterns are saved through the edge's read API, and what the services
 * then answer over gRPC: the visitor's page views, its URL-tracked cart converted or abandoned.
 */
@QuarkusTest
@QuarkusTestResource(Services.class)
class PageViewBrowserIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static FixtureServer fixtures;

    private EdgeClient edge;
    private Site site;

    @BeforeAll
    static void serveFixtures() {
        String edgeBase = "http://localhost:" + org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getValue("quarkus.http.test-port", Integer.class);
        fixtures = new FixtureServer(Scenarios.BROWSER.resolve("fixtures").toAbsolutePath(), edgeBase);
    }

    @AfterAll
    static void stopFixtures() {
        fixtures.close();
    }

    @BeforeEach
    void setUp() {
        edge = new EdgeClient();
        site = edge.newSite(TrackingMode.TRACKING_MODE_CARTS_AND_TRANSACTIONS, "", fixtures.base());
        fixtures.siteKey(site.getSiteKey());
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        edge.close();
    }

    private JsonNode scenario(String name, Map<String, String> env) throws IOException, InterruptedException {
        return Scenarios.run(name, fixtures.base(), edge.base, env);
    }

    private JsonNode scenario(String name) throws IOException, InterruptedException {
        return scenario(name, Map.of());
    }

    /** What a console does: saves the site's settings with StoreService/UpdateSite through the read API. */
    private JsonNode updateSite(String siteJson, String mask) throws IOException {
        HttpResponse<String> r = edge.api("StoreService/UpdateSite",
                "{\"site\":{\"siteId\":\"" + site.getSiteId() + "\"," + siteJson + "},\"updateMask\":\"" + mask + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).get("site");
    }

    private void urlJourney() throws IOException {
        JsonNode saved = updateSite("\"cartPagePattern\":\"/shop/cart*\",\"thankYouPagePattern\":\"/shop/thank-you*\"",
                "cartPagePattern,thankYouPagePattern");
        assertThat(saved.get("cartPagePattern").asText()).isEqualTo("/shop/cart*");
        assertThat(saved.get("thankYouPagePattern").asText()).isEqualTo("/shop/thank-you*");
    }

    /** The visitor's views, oldest first. */
    private List<PageView> views(String visitorId) {
        List<PageView> views = new ArrayList<>(edge.pageViews.listPageViews(ListPageViewsRequest.newBuilder()
                .setStoreId(site.getStoreId()).setVisitorId(visitorId).setPageSize(100).build()).getPageViewsList());
        java.util.Collections.reverse(views);
        return views;
    }

    private List<Cart> carts(String visitorId) {
        return edge.carts.listCarts(ListCartsRequest.newBuilder().setStoreId(site.getStoreId()).setVisitorId(visitorId).build())
                .getCartsList();
    }

    private String url(String path) {
        return fixtures.base() + path;
    }

    private boolean matches(String contactId, SegmentCondition condition) {
        return edge.segments.matchContact(MatchContactRequest.newBuilder().setContactId(contactId).setStoreId(site.getStoreId())
                .setCondition(condition).build()).getMatches();
    }

    private long count(SegmentCondition condition) {
        return edge.segments.countContacts(CountContactsRequest.newBuilder().setStoreId(site.getStoreId()).setCondition(condition).build())
                .getCount();
    }

    private static SegmentCondition visited(String pattern) {
        return SegmentCondition.newBuilder().setVisitedUrl(SegmentCondition.VisitedUrl.newBuilder().setUrlPattern(pattern)).build();
    }

    @Test
    void aCartPageThenAThankYouPageMakeAConvertedUrlTrackedCartAndAPurchaseSegmentsSee() throws Exception {
        urlJourney();
        String email = "url-" + java.util.UUID.randomUUID() + "@example.com";
        // The shopper tells who they are on the thank-you page, after the views were recorded.
        JsonNode r = scenario("url-purchase", Map.of("RELANCE_EMAIL", email));
        String visitor = r.get("visitorId").asText();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(carts(visitor)).singleElement().satisfies(c -> {
            assertThat(c.getSource()).isEqualTo(CartSource.CART_SOURCE_URL);
            assertThat(c.getState()).isEqualTo(CartState.CART_STATE_CONVERTED);
            assertThat(c.getSiteId()).isEqualTo(site.getSiteId());
        }));
        assertThat(views(visitor)).extracting(PageView::getUrl, PageView::getKind).containsExactly(
                org.assertj.core.groups.Tuple.tuple(url("/shop/product.html"), PageKind.PAGE_KIND_OTHER),
                org.assertj.core.groups.Tuple.tuple(url("/shop/cart.html"), PageKind.PAGE_KIND_CART),
                org.assertj.core.groups.Tuple.tuple(url("/shop/thank-you.html?order=1"), PageKind.PAGE_KIND_THANK_YOU));

        // Segments (seed 004, "URL visited" and "purchase made"), from the segment service's facts.
        SegmentCondition purchased = SegmentCondition.newBuilder()
                .setHasUrlTrackedPurchase(SegmentCondition.HasUrlTrackedPurchase.newBuilder().setStoreId(site.getStoreId())).build();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Contact buyer = edge.contacts.findContactByEmail(FindContactByEmailRequest.newBuilder().setEmail(email).build()).getContact();
            assertThat(matches(buyer.getContactId(), purchased)).as("HasUrlTrackedPurchase").isTrue();
            assertThat(matches(buyer.getContactId(), visited("/shop/cart*"))).as("VisitedUrl /shop/cart*").isTrue();
            assertThat(matches(buyer.getContactId(), visited("/app/*"))).as("VisitedUrl /app/*").isFalse();
            assertThat(count(purchased)).isEqualTo(1);
            assertThat(count(visited("/shop/cart*"))).isEqualTo(1);
        });
    }

    @Test
    void aCartPageLeftAloneBecomesAnAbandonedUrlTrackedCart() throws Exception {
        urlJourney();
        edge.stores.updateStore(UpdateStoreRequest.newBuilder()
                .setStore(Store.newBuilder().setStoreId(site.getStoreId())
                        .setAbandonmentDelay(com.google.protobuf.Duration.newBuilder().setSeconds(5)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("abandonment_delay")).build());
        JsonNode r = scenario("url-abandon");
        String visitor = r.get("visitorId").asText();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(carts(visitor)).singleElement().satisfies(c -> {
            assertThat(c.getSource()).isEqualTo(CartSource.CART_SOURCE_URL);
            assertThat(c.getState()).isEqualTo(CartState.CART_STATE_ABANDONED);
        }));
    }

    @Test
    void aSinglePageAppRecordsEachNavigationOnceInOrderWithItsTitle() throws Exception {
        JsonNode r = scenario("spa");
        List<PageView> views = views(r.get("visitorId").asText());
        // The fragment change and the replaceState to the same address were no views; Back was one.
        assertThat(views).extracting(PageView::getUrl, PageView::getTitle).containsExactly(
                org.assertj.core.groups.Tuple.tuple(url("/app/index.html"), "Home – App shop"),
                org.assertj.core.groups.Tuple.tuple(url("/app/products"), "Products – App shop"),
                org.assertj.core.groups.Tuple.tuple(url("/app/products/42"), "HDMI cable – App shop"),
                org.assertj.core.groups.Tuple.tuple(url("/app/cart"), "Cart – App shop"),
                org.assertj.core.groups.Tuple.tuple(url("/app/products/42"), "HDMI cable – App shop"));
        assertThat(views.get(2).getReferrer()).isEqualTo(url("/app/products"));
        assertThat(views).extracting(PageView::getKind).containsOnly(PageKind.PAGE_KIND_OTHER);
    }

    @Test
    void aPageThatOptsOutRecordsNothing() throws Exception {
        urlJourney();
        JsonNode r = scenario("page-opt-out");
        assertThat(views(r.get("visitorId").asText())).isEmpty();
    }

    @Test
    void aSiteWithPageViewsOffRecordsNothing() throws Exception {
        urlJourney();
        assertThat(updateSite("\"pageViewsDisabled\":true", "pageViewsDisabled").get("pageViewsDisabled").asBoolean()).isTrue();
        JsonNode r = scenario("site-off");
        String visitor = r.get("visitorId").asText();
        assertThat(views(visitor)).isEmpty();
        assertThat(carts(visitor)).isEmpty();
    }

    @Test
    void aBeaconOnLeavingDeliversThePageView() throws Exception {
        urlJourney();
        JsonNode r = scenario("pageview-beacon");
        String visitor = r.get("visitorId").asText();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(views(visitor)).singleElement().satisfies(v -> {
            assertThat(v.getViewId()).isEqualTo(r.get("viewId").asText());
            assertThat(v.getUrl()).isEqualTo(url("/shop/cart.html"));
            assertThat(v.getTitle()).isEqualTo("Your cart – Shop");
            assertThat(v.getKind()).isEqualTo(PageKind.PAGE_KIND_CART);
        }));
        assertThat(carts(visitor)).singleElement().satisfies(c -> assertThat(c.getState()).isEqualTo(CartState.CART_STATE_ACTIVE));
    }
}
