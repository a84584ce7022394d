package org.relance.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.ListPageViewsRequest;
import org.relance.api.cart.v1.PageView;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.edge.support.EdgeClient;
import org.relance.edge.support.Services;
import org.relance.kit.links.LinkTokens;

import static org.relance.edge.support.Batches.visitor;
import static org.relance.edge.support.Batches.batch;
import static org.assertj.core.api.Assertions.assertThat;

/** Page-view submits through the edge over real HTTP, into the real cart service (PageViewService). */
@QuarkusTest
@QuarkusTestResource(Services.class)
class PageViewIT {
    private static final String SHOP = "https://shop.example";
    private static final ObjectMapper JSON = new ObjectMapper();

    private EdgeClient edge;
    private Site site;

    @BeforeEach
    void setUp() {
        edge = new EdgeClient();
        site = edge.newSite(TrackingMode.TRACKING_MODE_CARTS_AND_TRANSACTIONS, "", SHOP);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        edge.close();
    }

    private static String view(String id, String args, long time) {
        return "{\"id\":\"" + id + "\",\"type\":\"pageview\",\"time\":" + time + ",\"args\":" + args + "}";
    }

    private static String view(String id, String path, String title) {
        return view(id, "{\"url\":\"" + SHOP + path + "\",\"referrer\":\"\",\"title\":\"" + title + "\"}", Instant.now().toEpochMilli());
    }

    /** The visitor's views, oldest first. */
    private List<PageView> views(Site s, String visitor) {
        List<PageView> views = new ArrayList<>(edge.pageViews.listPageViews(ListPageViewsRequest.newBuilder().setStoreId(s.getStoreId())
                .setVisitorId(visitor).setPageSize(100).build()).getPageViewsList());
        Collections.reverse(views);
        return views;
    }

    private JsonNode rejections(Site s) throws Exception {
        HttpResponse<String> r = edge.get("/api/v1/sites/" + s.getSiteId() + "/rejections?limit=100",
                "Authorization", "Bearer " + EdgeClient.ADMIN_TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        return JSON.readTree(r.body()).get("rejections");
    }

    @Test
    void aBatchsPageViewsAreRecordedInPageOrderWhateverTheTrackingModeAndOnceWhenSentAgain() throws Exception {
        Site transactionsOnly = edge.newSite(TrackingMode.TRACKING_MODE_TRANSACTIONS_ONLY, "", SHOP);
        String v = visitor();
        String body = batch(v, view("pv-" + v + "-1", "/", "Home"),
                "{\"id\":\"c-" + v + "\",\"type\":\"cart\",\"calls\":[{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"X\",\"TotalPrice\":\"1\"}}]}",
                view("pv-" + v + "-2", "/p/42?utm_source=mail#specs", "HDMI cable"));
        HttpResponse<String> first = edge.batch(transactionsOnly.getSiteKey(), body, SHOP);
        // The cart submit is refused (transactions only), the views are not.
        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(first.body()).get("rejected")).singleElement()
                .satisfies(n -> assertThat(n.get("reason").asText()).isEqualTo("CARTS_NOT_TRACKED"));
        assertThat(views(transactionsOnly, v)).extracting(PageView::getViewId, PageView::getUrl, PageView::getTitle).containsExactly(
                org.assertj.core.groups.Tuple.tuple("pv-" + v + "-1", SHOP + "/", "Home"),
                org.assertj.core.groups.Tuple.tuple("pv-" + v + "-2", SHOP + "/p/42", "HDMI cable"));
        assertThat(views(transactionsOnly, v)).allSatisfy(p -> assertThat(p.getSiteId()).isEqualTo(transactionsOnly.getSiteId()));

        // The tracker sends again what it has no answer for: the views are not recorded twice.
        String viewsOnly = batch(v, view("pv-" + v + "-1", "/", "Home"), view("pv-" + v + "-2", "/p/42?utm_source=mail#specs", "HDMI cable"));
        assertThat(edge.post("/t/" + transactionsOnly.getSiteKey(), "text/plain;charset=UTF-8", viewsOnly, SHOP).statusCode()).isEqualTo(204);
        assertThat(views(transactionsOnly, v)).hasSize(2);
    }

    @Test
    void badPageViewsAreRefusedWithTheirReasonStoredAndNotRecordedWhileGoodOnesAre() throws Exception {
        String v = visitor();
        long now = Instant.now().toEpochMilli();
        HttpResponse<String> r = edge.batch(site.getSiteKey(), batch(v,
                view("bad-url", "{\"title\":\"No address\"}", now),
                view("bad-relative", "{\"url\":\"/shop/cart\"}", now),
                view("bad-scheme", "{\"url\":\"ftp://shop.example/file\"}", now),
                view("bad-title", "{\"url\":\"https://shop.example/\",\"title\":\"" + "t".repeat(501) + "\"}", now),
                view("bad-time", "{\"url\":\"https://shop.example/\"}", now - Duration.ofHours(25).toMillis()),
                "{\"id\":\"bad-args\",\"type\":\"pageview\",\"args\":\"https://shop.example/\"}",
                view("good", "/shop/cart", "Cart")), SHOP);
        assertThat(r.statusCode()).isEqualTo(202);
        JsonNode rejected = JSON.readTree(r.body()).get("rejected");
        assertThat(rejected).hasSize(6);
        List<String> fields = new ArrayList<>();
        rejected.forEach(n -> {
            assertThat(n.get("reason").asText()).isEqualTo("INVALID_SUBMIT");
            fields.add(n.get("id").asText() + " " + n.get("field").asText() + ": " + n.get("message").asText());
        });
        assertThat(fields).containsExactly(
                "bad-url submits[0].args.url: is required",
                "bad-relative submits[1].args.url: must be an absolute http or https URL",
                "bad-scheme submits[2].args.url: must be an absolute http or https URL",
                "bad-title submits[3].args.title: at most 500 characters (got 501)",
                "bad-time submits[4].time: " + rejected.get(4).get("message").asText(),
                "bad-args submits[5].args: required: {url, referrer, title}");
        assertThat(rejected.get(4).get("message").asText()).contains("more than a day old");

        JsonNode stored = rejections(site);
        List<String> ids = new ArrayList<>();
        stored.forEach(n -> {
            ids.add(n.get("submitId").asText());
            assertThat(n.get("kind").asText()).isEqualTo("pageview");
        });
        assertThat(ids).containsExactlyInAnyOrder("bad-url", "bad-relative", "bad-scheme", "bad-title", "bad-time", "bad-args");
        assertThat(views(site, v)).extracting(PageView::getViewId).containsExactly("good");

        // A batch of bad views only records nothing.
        String v2 = visitor();
        assertThat(edge.batch(site.getSiteKey(), batch(v2, view("bad-only", "{\"url\":\"not a url\"}", now)), SHOP).statusCode())
                .isEqualTo(202);
        assertThat(views(site, v2)).isEmpty();
    }

    @Test
    void viewsOfABatchWithAContactTokenBelongToItsContact() {
        String contactId = "c-" + UUID.randomUUID();
        String token = new LinkTokens(Services.LINK_SECRET).sign(LinkTokens.Kind.CONTACT, Instant.now().plusSeconds(600),
                site.getStoreId(), contactId);
        String v = visitor();
        String body = "{\"v\":1,\"visitorId\":\"" + v + "\",\"contactToken\":\"" + token + "\",\"submits\":["
                + view("ct-" + v, "/from-mail", "Landing") + "]}";
        assertThat(edge.batch(site.getSiteKey(), body, SHOP).statusCode()).isEqualTo(204);
        List<PageView> byContact = edge.pageViews.listPageViews(ListPageViewsRequest.newBuilder().setStoreId(site.getStoreId())
                .setContactId(contactId).build()).getPageViewsList();
        assertThat(byContact).singleElement().satisfies(p -> {
            assertThat(p.getViewId()).isEqualTo("ct-" + v);
            assertThat(p.getContactId()).isEqualTo(contactId);
            assertThat(p.getVisitorId()).isEqualTo(v);
        });
    }

    @Test
    void viewsOfAnErasedContactAreRefusedAsSuppressedAndStored() throws Exception {
        String contactId = "c-" + UUID.randomUUID();
        String token = new LinkTokens(Services.LINK_SECRET).sign(LinkTokens.Kind.CONTACT, Instant.now().plusSeconds(600),
                site.getStoreId(), contactId);
        String v = visitor();
        String before = "{\"v\":1,\"visitorId\":\"" + v + "\",\"contactToken\":\"" + token + "\",\"submits\":["
                + view("before-" + v, "/from-mail", "Landing") + "]}";
        assertThat(edge.batch(site.getSiteKey(), before, SHOP).statusCode()).isEqualTo(204);
        edge.contacts.eraseContact(org.relance.api.segment.v1.EraseContactRequest.newBuilder().setRequestId(UUID.randomUUID().toString())
                .setContactId(contactId).build());

        // The same link's token, later: the erased contact is no longer tracked.
        String after = "{\"v\":1,\"visitorId\":\"" + v + "\",\"contactToken\":\"" + token + "\",\"submits\":["
                + view("after-" + v, "/shop/cart", "Cart") + "]}";
        HttpResponse<String> r = edge.batch(site.getSiteKey(), after, SHOP);
        assertThat(r.statusCode()).isEqualTo(202);
        List<String> refused = new ArrayList<>();
        JSON.readTree(r.body()).get("rejected").forEach(n -> refused.add(n.get("id").asText() + " " + n.get("reason").asText()));
        assertThat(refused).contains("after-" + v + " CONTACT_SUPPRESSED");
        List<String> stored = new ArrayList<>();
        rejections(site).forEach(n -> stored.add(n.get("submitId").asText() + " " + n.get("kind").asText() + " " + n.get("reason").asText()));
        assertThat(stored).contains("after-" + v + " pageview CONTACT_SUPPRESSED");
        assertThat(views(site, v)).extracting(PageView::getViewId).doesNotContain("after-" + v);
    }

    @Test
    void theTrackerScriptSaysWhetherTheSiteRecordsPageViews() throws Exception {
        assertThat(edge.get("/js/" + site.getSiteKey() + "/tracker.js").body()).contains("\"pageViews\":true}");
        HttpResponse<String> saved = edge.api("StoreService/UpdateSite", "{\"site\":{\"siteId\":\"" + site.getSiteId()
                + "\",\"pageViewsDisabled\":true},\"updateMask\":\"pageViewsDisabled\"}");
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
        // The edge forgot its cached copy of the site: the next script already says so.
        assertThat(edge.get("/js/" + site.getSiteKey() + "/tracker.js").body()).contains("\"pageViews\":false}");
    }

    @Test
    void theReadApiTestsUrlPatternsAndListsPageViews() throws Exception {
        HttpResponse<String> tested = edge.api("PageViewService/TestUrlPattern", "{\"pattern\":\"/shop/cart*\",\"urls\":["
                + "\"https://Shop.example/shop/cart?step=2#top\",\"https://shop.example/shop/checkout\"]}");
        assertThat(tested.statusCode()).as(tested.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(tested.body());
        assertThat(answer.get("matches").toString()).isEqualTo("[true,false]");
        assertThat(answer.get("normalizedUrls").get(0).asText()).isEqualTo("https://shop.example/shop/cart?step=2");

        HttpResponse<String> invalid = edge.api("PageViewService/TestUrlPattern", "{\"pattern\":\"shop/cart\",\"urls\":[]}");
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(invalid.body()).at("/error/field").asText()).isEqualTo("pattern");

        String v = visitor();
        assertThat(edge.batch(site.getSiteKey(), batch(v, view("api-" + v, "/shop/cart", "Cart")), SHOP).statusCode()).isEqualTo(204);
        HttpResponse<String> listed = edge.api("PageViewService/ListPageViews",
                "{\"storeId\":\"" + site.getStoreId() + "\",\"visitorId\":\"" + v + "\"}");
        assertThat(listed.statusCode()).as(listed.body()).isEqualTo(200);
        assertThat(JSON.readTree(listed.body()).get("pageViews")).singleElement()
                .satisfies(n -> assertThat(n.get("url").asText()).isEqualTo(SHOP + "/shop/cart"));
    }
}
