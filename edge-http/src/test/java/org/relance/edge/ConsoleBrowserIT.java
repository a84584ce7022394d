package org.relance.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CreateSiteRequest;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.ListCartsRequest;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.api.common.v1.Money;
import org.relance.api.segment.v1.Consent;
import org.relance.api.segment.v1.ConsentState;
import org.relance.api.segment.v1.Contact;
import org.relance.api.segment.v1.CountContactsRequest;
import org.relance.api.segment.v1.GetContactRequest;
import org.relance.api.segment.v1.GetRecoveryStatisticsRequest;
import org.relance.api.segment.v1.GetRecoveryStatisticsResponse;
import org.relance.api.segment.v1.NumberOperator;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.api.segment.v1.GetTriggerRequest;
import org.relance.api.segment.v1.TextOperator;
import org.relance.api.segment.v1.Trigger;
import org.relance.api.segment.v1.TriggerServiceGrpc;
import org.relance.api.segment.v1.TriggerState;
import org.relance.api.segment.v1.UpsertContactRequest;
import org.relance.api.transaction.v1.RecordTransactionRequest;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionItem;
import org.relance.edge.support.EdgeClient;
import org.relance.edge.support.Services;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The console in a real browser (Debian's Chromium driven by playwright-core, see
 * src/test/browser/console.mjs) against the edge and the real services. The data is seeded over
 * gRPC once (a store whose carts are abandoned after 5 s, three contacts, a purchase that recovers
 * a cart); each test does what a marketer would on one page and compares what the page showed with
 * the services' own answers. Screenshots of every page are kept in target/console-screenshots/.
 */
@QuarkusTest
@QuarkusTestResource(Services.class)
class ConsoleBrowserIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path BROWSER = Path.of(System.getProperty("relance.browser.dir", "src/test/browser"));
    private static final Path SHOTS = Path.of("target", "console-screenshots").toAbsolutePath();

    private static EdgeClient edge;
    private static String run;
    private static String store;
    private static Site site;
    /** Two abandoned carts, one of them recovered by a purchase. */
    private static String anna;
    /** One abandoned cart with a keyboard. */
    private static String ben;
    /** The contact the erase test erases. */
    private static String dora;

    @BeforeAll
    static void seed() {
        edge = new EdgeClient();
        run = UUID.randomUUID().toString().substring(0, 8);
        store = "console-" + run;
        // 5 s abandonment delay: the test cart service sweeps every second.
        edge.stores.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder().setStoreId(store).setDisplayName("Console shop")
                .setCurrencyCode("EUR").setTimeZone("Europe/Paris").setAbandonmentDelay(com.google.protobuf.Duration.newBuilder().setSeconds(5)))
                .build());
        site = edge.stores.createSite(CreateSiteRequest.newBuilder().setSite(Site.newBuilder().setSiteId(store + "-web").setStoreId(store)
                .setDisplayName("Console shop web").addAllowedOrigins("https://shop.example")
                .setTrackingMode(TrackingMode.TRACKING_MODE_CARTS_AND_TRANSACTIONS)).build()).getSite();
        anna = contact("anna", "Anna", "Martin");
        ben = contact("ben", "Ben", "Dupont");
        dora = contact("dora", "Dora", "Leroy");
        cart(anna, "a-1", "120", "HDMI cable");
        cart(anna, "a-2", "40", "Mouse");
        cart(ben, "b-1", "50", "Keyboard");
        cart(dora, "d-1", "80", "Webcam");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> count(abandoned()) == 3);
        edge.transactions.recordTransaction(RecordTransactionRequest.newBuilder().setTransaction(Transaction.newBuilder().setStoreId(store)
                .setTransactionId("t-a2-" + run).setCartId("a-2").setContactId(anna).setRevenue(money("40")).setTax(money("0"))
                .setShipping(money("0")).addItems(TransactionItem.newBuilder().setProductId("p-mouse").setProductName("Mouse")
                        .setUnitPrice(money("40")).setTotalPrice(money("40")).setQuantity(1))).build());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> count(SegmentCondition.newBuilder().setHasRecoveredCart(SegmentCondition.HasRecoveredCart.getDefaultInstance()).build()) == 1);
    }

    @AfterAll
    static void close() throws InterruptedException {
        edge.close();
    }

    private static String contact(String name, String first, String last) {
        String id = name + "-" + run;
        edge.contacts.upsertContact(UpsertContactRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setContact(Contact.newBuilder()
                .setContactId(id).setEmail(id + "@example.com").setFirstName(first).setLastName(last)
                .setConsent(Consent.newBuilder().setState(ConsentState.CONSENT_STATE_GRANTED).setSource("checkout-checkbox"))).build());
        return id;
    }

    private static void cart(String contact, String cartId, String total, String product) {
        edge.carts.submitCart(SubmitCartRequest.newBuilder().setStoreId(store).setSubmitId(UUID.randomUUID().toString()).setContactId(contact)
                .addOperations(CartOperation.newBuilder().setAddCart(AddCartOperation.newBuilder().setCartId(cartId).setStatus("SelectProducts")
                        .setTotalPrice(money(total))))
                .addOperations(CartOperation.newBuilder().setAddCartItem(AddCartItemOperation.newBuilder().setCartId(cartId)
                        .setProductId("p-" + product.toLowerCase().replace(' ', '-')).setProductName(product).setUnitPrice(money(total)).setQuantity(1)))
                .build());
    }

    private static Money money(String amount) {
        return Moneys.toMoney(new BigDecimal(amount), "");
    }

    private static long count(SegmentCondition condition) {
        return edge.segments.countContacts(CountContactsRequest.newBuilder().setStoreId(store).setCondition(condition).build()).getCount();
    }

    private static SegmentCondition abandoned() {
        return SegmentCondition.newBuilder().setHasAbandonedCart(SegmentCondition.HasAbandonedCart.getDefaultInstance()).build();
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

    /** Runs one scenario of console.mjs in Chromium; answers its result after checking it says ok. */
    private static JsonNode scenario(String name, Map<String, String> input) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("node", "console.mjs", name, edge.base).directory(BROWSER.toFile()).redirectErrorStream(true);
        builder.environment().put("RELANCE_CONSOLE_INPUT", JSON.writeValueAsString(input));
        builder.environment().put("RELANCE_SHOTS", SHOTS.toString());
        Path log = Files.createTempFile("relance-console-" + name, ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " did not finish in 90 s:\n" + Files.readString(log));
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        assertThat(process.exitValue()).as(name + " output:\n" + String.join("\n", lines)).isZero();
        JsonNode result = JSON.readTree(last);
        assertThat(result.path("ok").asBoolean()).as(last).isTrue();
        return result;
    }

    private static void assertScreenshot(String name) throws IOException {
        Path shot = SHOTS.resolve(name + ".png");
        assertThat(shot).exists();
        assertThat(Files.size(shot)).as(name + ".png").isGreaterThan(5_000);
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void wrongTokenIsRefusedAndTheRightOneOpensTheConsole() throws Exception {
        JsonNode r = scenario("sign-in", Map.of());
        assertThat(r.get("refusal").asText()).contains("refused");
        assertThat(r.get("heading").asText()).isEqualTo("Segments");
        assertThat(r.get("focused").asText()).isEqualTo("H1");
        assertThat(r.get("stored").asInt()).isEqualTo(1);
        assertThat(r.get("contentType").asText()).startsWith("text/html");
        assertThat(r.get("cacheControl").asText()).isEqualTo("no-cache");
        assertScreenshot("sign-in");
    }

    @Test
    void segmentBuiltByClickingCountsWhatTheSegmentServiceCounts() throws Exception {
        JsonNode r = scenario("segment", Map.of("storeId", store));
        SegmentCondition valueOver100 = SegmentCondition.newBuilder().setLastAbandonedCartValue(SegmentCondition.LastAbandonedCartValue.newBuilder()
                .setOperator(NumberOperator.NUMBER_OPERATOR_GREATER).setAmount(money("100"))).build();
        SegmentCondition keyboardOrRecovered = or(
                SegmentCondition.newBuilder().setLastAbandonedCartProductName(SegmentCondition.LastAbandonedCartProductName.newBuilder()
                        .setOperator(TextOperator.TEXT_OPERATOR_CONTAINS).setText("KEYBOARD")).build(),
                SegmentCondition.newBuilder().setHasRecoveredCart(SegmentCondition.HasRecoveredCart.getDefaultInstance()).build());
        long[] grpc = {
            count(and(abandoned(), valueOver100)),
            count(and(abandoned(), not(valueOver100))),
            count(and(abandoned(), not(valueOver100), keyboardOrRecovered))};
        assertThat(r.get("counts").get(0).asLong()).isEqualTo(grpc[0]).isEqualTo(1);
        assertThat(r.get("counts").get(1).asLong()).isEqualTo(grpc[1]);
        assertThat(r.get("counts").get(2).asLong()).isEqualTo(grpc[2]).isEqualTo(1);
        assertThat(r.get("everyone").asLong())
                .isEqualTo(edge.segments.countContacts(CountContactsRequest.newBuilder().setStoreId(store).build()).getCount());
        assertThat(r.get("countText").asText()).isEqualTo("1 contact matches");
        assertThat(texts(r.get("firstListed"))).containsExactly(anna);
        assertThat(texts(r.get("thirdListed"))).containsExactly(ben);
        assertThat(r.get("request").get("storeId").asText()).isEqualTo(store);
        String[] csv = r.get("csv").asText().split("\r\n");
        assertThat(csv).containsExactly("contact_id,email,first_name,last_name,phone,company,consent_state,consent_source",
                ben + "," + ben + "@example.com,Ben,Dupont,,,CONSENT_STATE_GRANTED,checkout-checkbox");
        assertThat(r.get("file").asText()).endsWith(".csv");
        assertScreenshot("segments");
    }

    @Test
    void contactPageShowsAbandonedAndRecoveredCartsAndFiltersByStatus() throws Exception {
        JsonNode r = scenario("contact", Map.of("contactId", anna));
        assertThat(r.get("email").asText()).isEqualTo(anna + "@example.com");
        assertThat(r.get("consent").asText()).startsWith("Granted (checkout-checkbox)");
        List<String> rows = new ArrayList<>();
        r.get("orders").forEach(o -> rows.add(o.get("status").asText() + " " + o.get("cart").asText() + " "
                + o.get("transaction").asText() + " " + o.get("badge").asText() + " " + o.get("mark").asText()));
        assertThat(rows).containsExactlyInAnyOrder(
                "ORDER_STATUS_ABANDONED a-1  Abandoned ",
                "ORDER_STATUS_RECOVERED a-2 t-a2-" + run + " Recovered This cart was abandoned before");
        assertThat(r.get("expanded").asText()).isEqualTo("true");
        assertThat(r.get("items").asText()).containsAnyOf("HDMI cable", "Mouse");
        assertThat(r.get("filtered")).singleElement().satisfies(o -> assertThat(o.get("cart").asText()).isEqualTo("a-2"));
        assertThat(r.get("url").asText()).endsWith("status=ORDER_STATUS_RECOVERED");
        assertThat(r.get("notifications").asText()).isNotBlank();
        assertScreenshot("contact");
    }

    @Test
    void dashboardChartsTheStoresRecoveryAsTheSegmentServiceReportsIt() throws Exception {
        JsonNode r = scenario("dashboard", Map.of("storeId", store));
        Instant now = Instant.now();
        GetRecoveryStatisticsResponse stats = edge.segments.getRecoveryStatistics(GetRecoveryStatisticsRequest.newBuilder().setStoreId(store)
                .setStartTime(Timestamp.newBuilder().setSeconds(now.minus(Duration.ofDays(7)).getEpochSecond()))
                .setEndTime(Timestamp.newBuilder().setSeconds(now.getEpochSecond())).build());
        JsonNode tiles = r.get("tiles");
        assertThat(tiles.get("abandoned").asText()).isEqualTo(Long.toString(stats.getTotals().getAbandonedCartCount()));
        assertThat(tiles.get("recovered").asText()).isEqualTo("1");
        assertThat(tiles.get("rate").asText()).isEqualTo(String.format(java.util.Locale.ROOT, "%.1f %%", stats.getTotals().getRecoveryRate() * 100));
        assertThat(tiles.get("revenue").asText()).contains("40.00");
        assertThat(r.get("canvases").asInt()).isEqualTo(3);
        assertThat(texts(r.get("captions"))).contains("Abandoned and recovered carts per day", "Recovery rate per day (%)",
                "Recovered revenue per day (EUR)");
        assertThat(texts(r.get("products"))).anySatisfy(p -> assertThat(p).contains("HDMI cable"));
        assertThat(r.get("overflow").asInt()).as("sideways scroll on a phone, px").isLessThanOrEqualTo(0);
        assertScreenshot("dashboard");
        assertScreenshot("dashboard-phone");
    }

    @Test
    void rejectedTrackerEventsAreListedWithTheirReason() throws Exception {
        HttpResponse<String> refused = edge.batch(site.getSiteKey(), "{this is not json", "https://shop.example");
        assertThat(refused.statusCode()).isEqualTo(400);
        JsonNode r = scenario("rejections", Map.of("storeId", store));
        assertThat(r.get("site").asText()).isEqualTo(site.getSiteId());
        assertThat(texts(r.get("reasons"))).contains("MALFORMED_BATCH");
        assertThat(r.get("counts").asText()).contains("MALFORMED_BATCH");
        assertScreenshot("rejections");
    }

    @Test
    void theSitesPageTestsAPatternThenSavesTheUrlJourney() throws Exception {
        // A store of its own: a second site in the shared store would change what the other pages pick.
        String journeyStore = "journey-" + run;
        edge.stores.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder().setStoreId(journeyStore).setDisplayName("Journey shop")
                .setCurrencyCode("EUR").setTimeZone("Europe/Paris")).build());
        Site own = edge.stores.createSite(CreateSiteRequest.newBuilder().setSite(Site.newBuilder().setSiteId(journeyStore + "-web")
                .setStoreId(journeyStore).addAllowedOrigins("https://shop.example")).build()).getSite();
        JsonNode r = scenario("sites", Map.of("storeId", journeyStore));
        assertThat(r.get("matches").toString()).isEqualTo("[true,false]");
        assertThat(r.get("refusal").asText()).contains("both patterns");
        Site saved = edge.stores.getSite(org.relance.api.cart.v1.GetSiteRequest.newBuilder().setSiteId(own.getSiteId()).build()).getSite();
        assertThat(saved.getCartPagePattern()).isEqualTo("/shop/cart*");
        assertThat(saved.getThankYouPagePattern()).isEqualTo("/shop/thank-you*");
        assertThat(saved.getPageViewsDisabled()).isTrue();
        assertScreenshot("sites");
    }

    @Test
    void theSegmentBuilderAsksWhoVisitedAUrl() throws Exception {
        edge.pageViews.recordPageViews(org.relance.api.cart.v1.RecordPageViewsRequest.newBuilder().setSiteId(site.getSiteId())
                .setVisitorId("v1.anna-" + run).setContactId(anna)
                .addPageViews(org.relance.api.cart.v1.PageView.newBuilder().setViewId("anna-cart-" + run).setUrl("https://shop.example/shop/cart"))
                .build());
        SegmentCondition visited = SegmentCondition.newBuilder().setVisitedUrl(SegmentCondition.VisitedUrl.newBuilder().setUrlPattern("/shop/cart*"))
                .build();
        await().atMost(Duration.ofSeconds(30)).until(() -> count(visited) == 1);
        JsonNode r = scenario("visited-url", Map.of("storeId", store));
        assertThat(r.get("visited").asLong()).isEqualTo(1);
        assertThat(texts(r.get("listed"))).containsExactly(anna);
        assertThat(r.get("twice").asLong()).isZero();
        assertScreenshot("visited-url");
    }

    @Test
    void triggerCreatedInTheFormIsStoredPausedAndEditable() throws Exception {
        JsonNode r = scenario("trigger", Map.of("storeId", store));
        assertThat(r.get("dryRunText").asText()).startsWith("1 abandoned cart matches now");
        assertThat(texts(r.get("dryRunCarts"))).singleElement().satisfies(c -> assertThat(c).startsWith("a-1 (" + store + ")"));
        assertThat(r.get("stateShown").asText()).isEqualTo("Paused");
        assertThat(r.get("verdict").asText()).contains("does not fire");
        assertThat(texts(r.get("checks"))).anySatisfy(c -> assertThat(c).startsWith("Failed Trigger is active"));
        assertThat(r.get("log").asText()).isEqualTo("No notification.");
        assertThat(r.get("minShown").asText()).isEqualTo("100");
        assertThat(r.get("row").asText()).contains("Big carts, edited", "Paused");
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", Services.segmentPort()).usePlaintext().build();
        try {
            Trigger stored = TriggerServiceGrpc.newBlockingStub(channel).withCallCredentials(new BearerToken(Services.TOKEN))
                    .getTrigger(GetTriggerRequest.newBuilder().setTriggerId(r.get("triggerId").asText()).build()).getTrigger();
            assertThat(stored.getDisplayName()).isEqualTo("Big carts, edited");
            assertThat(stored.getStoreId()).isEqualTo(store);
            assertThat(stored.getState()).isEqualTo(TriggerState.TRIGGER_STATE_PAUSED);
            assertThat(Moneys.toDecimal("min", stored.getMinCartValue(), new org.relance.kit.error.Violations())).isEqualByComparingTo("100");
            assertThat(stored.getWebhook().getUrl()).isEqualTo("http://localhost:9/hook");
            assertThat(stored.getWebhook().getHasSecret()).isTrue();
            assertThat(stored.getWait().getSeconds()).isEqualTo(3600);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        assertScreenshot("trigger-new");
        assertScreenshot("trigger");
        assertScreenshot("triggers");
    }

    @Test
    void eraseAsksForConfirmationThenErasesTheContactEverywhere() throws Exception {
        JsonNode r = scenario("erase", Map.of("contactId", dora));
        assertThat(r.get("question").asText()).isEqualTo("Erase contact " + dora + "?");
        assertThat(r.get("focusAfterCancel").asText()).isEqualTo("erase-open");
        assertThat(r.get("result").asText()).startsWith("Contact erased: 1 carts");
        assertThat(r.get("identity").asText()).contains("No contact record");
        assertThatThrownBy(() -> edge.contacts.getContact(GetContactRequest.newBuilder().setContactId(dora).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThat(edge.carts.listCarts(ListCartsRequest.newBuilder().setStoreId(store).setContactId(dora).build()).getCartsList()).isEmpty();
        assertScreenshot("erase-dialog");
        assertScreenshot("contact-erased");
    }
}
