package org.relance.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.Cart;
import org.relance.api.cart.v1.CartItem;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.api.common.v1.Money;
import org.relance.api.segment.v1.Contact;
import org.relance.api.segment.v1.FindContactByEmailRequest;
import org.relance.api.segment.v1.GetContactRequest;
import org.relance.api.transaction.v1.GetTransactionRequest;
import org.relance.api.transaction.v1.Transaction;
import org.relance.edge.support.EdgeClient;
import org.relance.edge.support.FixtureServer;
import org.relance.edge.support.Scenarios;
import org.relance.edge.support.Services;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.Moneys;
import org.relance.kit.links.LinkTokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The tracker in a real browser (Debian's Chromium driven by playwright-core, see
 * src/test/browser/scenario.mjs) on pages served by a shop's server, through the edge into the real
 * services; each scenario's outcome is then read back over gRPC.
 */
@QuarkusTest
@QuarkusTestResource(Services.class)
class EdgeBrowserIT {
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

    /** Runs one scenario in Chromium; answers its last stdout line, after checking it says ok. */
    private JsonNode scenario(String name, Map<String, String> env) throws IOException, InterruptedException {
        return Scenarios.run(name, fixtures.base(), edge.base, env);
    }

    private JsonNode scenario(String name) throws IOException, InterruptedException {
        return scenario(name, Map.of());
    }

    private Cart cart(String storeId, String id) {
        return edge.carts.getCart(GetCartRequest.newBuilder().setStoreId(storeId).setCartId(id).build()).getCart();
    }

    private Cart cart(String id) {
        return cart(site.getStoreId(), id);
    }

    private static BigDecimal amount(Money money) {
        return Moneys.toDecimal("amount", money, new Violations());
    }

    @Test
    void seedNewCartPageWorksUnchanged() throws Exception {
        scenario("seed-new-cart");
        Cart c = cart("C001");
        assertThat(c.getStatus()).isEqualTo("SelectProducts");
        assertThat(amount(c.getTotalPrice())).isEqualByComparingTo("870");
        assertThat(c.getItemsList()).singleElement().satisfies(i -> {
            assertThat(i.getProductId()).isEqualTo("1234");
            assertThat(i.getProductName()).isEqualTo("M-260");
            assertThat(i.getCategory()).isEqualTo("PC");
            assertThat(i.getCategoryId()).isEqualTo("123");
            assertThat(amount(i.getUnitPrice())).isEqualByComparingTo("870");
            assertThat(i.getQuantity()).isEqualTo(1);
        });
    }

    @Test
    void seedModifyCartPageChangesACartItNeverCreated() throws Exception {
        scenario("seed-modify-cart");
        assertThat(cart("C012").getItemsList()).singleElement().satisfies(i -> {
            assertThat(i.getProductId()).isEqualTo("111");
            assertThat(i.getProductName()).isEqualTo("Cable HDMI");
            assertThat(amount(i.getUnitPrice())).isEqualByComparingTo("19.99");
        });
    }

    @Test
    void seedThankYouPageRecordsTheTransactionAndConvertsTheCart() throws Exception {
        scenario("seed-thank-you");
        Transaction tx = edge.transactions.getTransaction(GetTransactionRequest.newBuilder().setStoreId(site.getStoreId())
                .setTransactionId("1234").build()).getTransaction();
        assertThat(tx.getCartId()).isEqualTo("7890");
        assertThat(tx.getAffiliation()).isEqualTo("MyStore");
        assertThat(amount(tx.getRevenue())).isEqualByComparingTo("155");
        assertThat(amount(tx.getTax())).isEqualByComparingTo("23.25");
        assertThat(amount(tx.getShipping())).isEqualByComparingTo("7.99");
        assertThat(tx.getItemsList()).extracting(i -> i.getProductId() + ":" + i.getQuantity() + ":" + amount(i.getTotalPrice()).stripTrailingZeros().toPlainString())
                .containsExactlyInAnyOrder("4976:1:80", "13745:2:75");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(cart("7890").getState()).isEqualTo(CartState.CART_STATE_CONVERTED));
    }

    @Test
    void clearCartOnALaterPageClearsTheRememberedCart() throws Exception {
        JsonNode r = scenario("clear-cart-later-page");
        Cart c = cart(r.get("cartId").asText());
        assertThat(c.getItemsList()).isEmpty();
        assertThat(amount(c.getTotalPrice())).isEqualByComparingTo("60");
    }

    @Test
    void callsMadeBeforeTheAsyncScriptArrivedAreAppliedInOrder() throws Exception {
        JsonNode r = scenario("async-load");
        Cart c = cart(r.get("cartId").asText());
        assertThat(c.getStatus()).isEqualTo("ValidateShippingStep");
        assertThat(amount(c.getTotalPrice())).isEqualByComparingTo("30");
        assertThat(c.getItemsList()).extracting(CartItem::getProductId, CartItem::getQuantity).containsExactly(org.assertj.core.groups.Tuple.tuple("A2", 3));
    }

    @Test
    void misuseNeverThrowsAndSendsNothingInvalid() throws Exception {
        JsonNode r = scenario("misuse");
        assertThat(r.get("pageErrors")).isNullOrEmpty();
        Cart c = cart(r.get("cartId").asText());
        assertThat(c.getItemsList()).isEmpty();
        assertThat(amount(c.getTotalPrice())).isEqualByComparingTo("10");
        assertThat(r.get("warnings").asInt()).isGreaterThan(10);
        // Nothing reached the edge that it had to refuse.
        HttpResponse<String> refused = edge.get("/api/v1/sites/" + site.getSiteId() + "/rejections/counts",
                "Authorization", "Bearer " + EdgeClient.ADMIN_TOKEN);
        assertThat(JSON.readTree(refused.body()).get("total").asLong()).isZero();
    }

    @Test
    void aBeaconOnPageHideDeliversTheSubmit() throws Exception {
        JsonNode r = scenario("beacon-on-hide");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(cart(r.get("cartId").asText()).getItemsList()).extracting(CartItem::getProductId).containsExactly("B1"));
    }

    @Test
    void aSubmitMadeWhileTheEdgeIsUnreachableIsDeliveredOnALaterPage() throws Exception {
        JsonNode r = scenario("offline-then-retry");
        Cart c = cart(r.get("cartId").asText());
        assertThat(c.getItemsList()).extracting(CartItem::getProductId).containsExactly("O1");
        assertThat(amount(c.getTotalPrice())).isEqualByComparingTo("45.50");
    }

    @Test
    void theSameSubmitSentTwiceIsAppliedOnce() throws Exception {
        JsonNode r = scenario("duplicate-submit");
        assertThat(r.get("replayStatus").asInt()).isEqualTo(204);
        assertThat(cart(r.get("cartId").asText()).getItemsList()).extracting(CartItem::getProductId).containsExactly("D2");
    }

    @Test
    void aRelanceLinkAndIdentifyMakeTheVisitorAContact() throws Exception {
        String linked = "c-" + UUID.randomUUID();
        String token = new LinkTokens(Services.LINK_SECRET).sign(LinkTokens.Kind.CONTACT, Instant.now().plusSeconds(600),
                site.getStoreId(), linked);
        JsonNode r = scenario("identify", Map.of("RELANCE_CONTACT_TOKEN", token));
        assertThat(r.get("finalUrl").asText()).doesNotContain("rl_ct").contains("utm_source=x").endsWith("#frag");
        // The token's contact exists (identified by the link), then the page's Identify names the buyer.
        assertThat(edge.contacts.getContact(GetContactRequest.newBuilder().setContactId(linked).build()).getContact().getContactId())
                .isEqualTo(linked);
        Contact ada = edge.contacts.findContactByEmail(FindContactByEmailRequest.newBuilder().setEmail("ada@example.com").build()).getContact();
        assertThat(ada.getFirstName()).isEqualTo("Ada");
        assertThat(cart(r.get("cartId").asText()).getContactId()).isIn(ada.getContactId(), linked);
    }

    @Test
    void aForeignOriginIsRefusedAndRecorded() throws Exception {
        JsonNode r = scenario("foreign-origin", Map.of("RELANCE_FOREIGN_BASE", fixtures.foreignBase()));
        assertThatThrownBy(() -> cart(r.get("cartId").asText())).isInstanceOf(StatusRuntimeException.class).hasMessageContaining("NOT_FOUND");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> counts = edge.get("/api/v1/sites/" + site.getSiteId() + "/rejections/counts",
                    "Authorization", "Bearer " + EdgeClient.ADMIN_TOKEN);
            assertThat(JSON.readTree(counts.body()).at("/byReason/ORIGIN_NOT_ALLOWED").asLong()).isPositive();
        });
    }

    @Test
    void theDemoShopTellsTheWholeStory() throws Exception {
        JsonNode r = scenario("demo");
        Cart abandoned = cart("demo", r.at("/abandonedCart/idCart").asText());
        assertThat(amount(abandoned.getTotalPrice())).isEqualByComparingTo("254.80");
        List<String> names = new ArrayList<>();
        abandoned.getItemsList().forEach(i -> names.add(i.getProductName()));
        assertThat(String.join(",", names)).containsIgnoringCase("HDMI");
        Transaction tx = edge.transactions.getTransaction(GetTransactionRequest.newBuilder().setStoreId("demo")
                .setTransactionId(r.get("transactionId").asText()).build()).getTransaction();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(cart("demo", tx.getCartId()).getState()).isEqualTo(CartState.CART_STATE_CONVERTED));
        Contact buyer = edge.contacts.findContactByEmail(FindContactByEmailRequest.newBuilder().setEmail(r.get("email").asText()).build())
                .getContact();
        assertThat(cart("demo", tx.getCartId()).getContactId()).isEqualTo(buyer.getContactId());
    }
}
