package org.relance.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.Cart;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.ListCartsRequest;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.api.segment.v1.FindContactByEmailRequest;
import org.relance.api.transaction.v1.GetTransactionRequest;
import org.relance.api.transaction.v1.Transaction;
import org.relance.edge.support.EdgeClient;
import org.relance.edge.support.Services;
import org.relance.kit.grpc.Moneys;
import org.relance.kit.links.LinkTokens;

import static org.relance.edge.support.Batches.visitor;
import static org.relance.edge.support.Batches.submit;
import static org.relance.edge.support.Batches.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The edge over real HTTP, in front of the real cart, transaction and segment services. */
@QuarkusTest
@QuarkusTestResource(Services.class)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class EdgeIT {
    private static final String SHOP = "https://shop.example";
    private static final ObjectMapper JSON = new ObjectMapper();

    private EdgeClient edge;
    private Site site;

    @BeforeEach
    void setUp() {
        edge = new EdgeClient();
        site = edge.newSite(TrackingMode.TRACKING_MODE_CARTS_AND_TRANSACTIONS, "https://shop.example/cart?from=mail", SHOP);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        edge.close();
    }

    private Cart cart(Site s, String id) {
        return edge.carts.getCart(GetCartRequest.newBuilder().setStoreId(s.getStoreId()).setCartId(id).build()).getCart();
    }

    private JsonNode rejections(Site s) throws Exception {
        HttpResponse<String> r = edge.get("/api/v1/sites/" + s.getSiteId() + "/rejections?limit=100",
                "Authorization", "Bearer " + EdgeClient.ADMIN_TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        return JSON.readTree(r.body()).get("rejections");
    }

    @Test
    void seedExamplesBecomeCartsAndATransaction() {
        String v = visitor();
        // Seed 000, "Nouveau panier".
        HttpResponse<String> first = edge.batch(site.getSiteKey(), batch(v, submit("s-1", "cart",
                "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"C001\",\"status\":\"SelectProducts\",\"TotalPrice\":\"870\"}},"
                        + "{\"fn\":\"AddCartItem\",\"args\":{\"idCart\":\"C001\",\"idProduct\":\"1234\",\"productName\":\"M-260\","
                        + "\"category\":\"PC\",\"idCategory\":\"123\",\"priceunit\":\"870\",\"quantity\":\"1\"}}")), SHOP);
        assertThat(first.statusCode()).isEqualTo(204);
        assertThat(first.headers().firstValue("Access-Control-Allow-Origin")).hasValue(SHOP);
        Cart c001 = cart(site, "C001");
        assertThat(c001.getState()).isEqualTo(CartState.CART_STATE_ACTIVE);
        assertThat(c001.getStatus()).isEqualTo("SelectProducts");
        assertThat(c001.getVisitorId()).isEqualTo(v);
        assertThat(c001.getSiteId()).isEqualTo(site.getSiteId());
        assertThat(c001.getItemsList()).singleElement().satisfies(item -> {
            assertThat(item.getProductName()).isEqualTo("M-260");
            assertThat(item.getCategory()).isEqualTo("PC");
            assertThat(Moneys.toDecimal("p", item.getUnitPrice(), new org.relance.kit.error.Violations())).isEqualByComparingTo("870");
        });

        // Seed 000, "Suppression et modification de produits": cart C012 never created on this page.
        HttpResponse<String> second = edge.batch(site.getSiteKey(), batch(v, submit("s-2", "cart",
                "{\"fn\":\"RemoveCartItem\",\"args\":{\"idCart\":\"C012\",\"idProduct\":\"222\"}},"
                        + "{\"fn\":\"RemoveCartItem\",\"args\":{\"idCart\":\"C012\",\"idProduct\":\"333\"}},"
                        + "{\"fn\":\"UpdateCartItem\",\"args\":{\"idCart\":\"C012\",\"idProduct\":\"111\",\"productName\":\"Cable HDMI\","
                        + "\"priceunit\":\"19.99\",\"quantity\":\"1\"}}")), SHOP);
        assertThat(second.statusCode()).isEqualTo(204);
        assertThat(cart(site, "C012").getItemsList()).singleElement().satisfies(item -> {
            assertThat(item.getProductId()).isEqualTo("111");
            assertThat(Moneys.toDecimal("p", item.getUnitPrice(), new org.relance.kit.error.Violations())).isEqualByComparingTo("19.99");
        });

        // Seed 000's thank-you page, naming the cart: the transaction is recorded and the cart converted.
        edge.batch(site.getSiteKey(), batch(v, submit("s-3", "cart",
                "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"7890\",\"TotalPrice\":\"155\"}}")), SHOP);
        HttpResponse<String> thanks = edge.batch(site.getSiteKey(), batch(v, submit("s-4", "transaction",
                "{\"fn\":\"AddTransaction\",\"args\":{\"idTransaction\":\"1234\",\"idCart\":\"7890\",\"affiliation\":\"MyStore\","
                        + "\"revenue\":\"155\",\"tax\":\"23.25\",\"shipping\":\"7.99\"}},"
                        + "{\"fn\":\"AddItem\",\"args\":{\"idTransaction\":\"1234\",\"productName\":\"HUB-USB 48 ports\",\"idProduct\":\"4976\","
                        + "\"category\":\"Accessoire PC\",\"idCategory\":\"79\",\"Price_unit\":\"80\",\"Price_total\":\"80\",\"quantity\":\"1\"}},"
                        + "{\"fn\":\"AddItem\",\"args\":{\"idTransaction\":\"1234\",\"productName\":\"câble HDMI\",\"idProduct\":\"13745\","
                        + "\"category\":\"Câbles\",\"idCategory\":\"17\",\"Price_unit\":\"37.50\",\"Price_total\":\"75\",\"quantity\":\"2\"}}")), SHOP);
        assertThat(thanks.statusCode()).isEqualTo(204);
        Transaction tx = edge.transactions.getTransaction(GetTransactionRequest.newBuilder().setStoreId(site.getStoreId())
                .setTransactionId("1234").build()).getTransaction();
        assertThat(tx.getItemsCount()).isEqualTo(2);
        assertThat(tx.getCartId()).isEqualTo("7890");
        assertThat(Moneys.toDecimal("t", tx.getTax(), new org.relance.kit.error.Violations())).isEqualByComparingTo("23.25");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(cart(site, "7890").getState()).isEqualTo(CartState.CART_STATE_CONVERTED));
    }

    @Test
    void theSameSubmitSentTwiceIsAppliedOnceAndBeaconsAreTextPlain() {
        String body = batch(visitor(), submit("dup-1", "cart",
                "{\"fn\":\"AddCartItem\",\"args\":{\"idCart\":\"D1\",\"idProduct\":\"p\",\"productName\":\"P\",\"priceunit\":2.5,\"quantity\":3}}"));
        assertThat(edge.post("/t/" + site.getSiteKey(), "text/plain;charset=UTF-8", body, SHOP).statusCode()).isEqualTo(204);
        // Applied twice, AddCartItem of a product already in the cart would be refused (202).
        assertThat(edge.batch(site.getSiteKey(), body, SHOP).statusCode()).isEqualTo(204);
        assertThat(cart(site, "D1").getItemsList()).singleElement().satisfies(i -> assertThat(i.getQuantity()).isEqualTo(3));
    }

    @Test
    void badSubmitsAreRefusedRecordedAndChangeNothingWhileGoodOnesApply() throws Exception {
        String v = visitor();
        HttpResponse<String> r = edge.batch(site.getSiteKey(), batch(v,
                submit("bad-1", "cart", "{\"fn\":\"AddCartItem\",\"args\":{\"idCart\":\"B1\",\"idProduct\":\"p\",\"productName\":\"P\","
                        + "\"priceunit\":\"1\",\"quantity\":\"abc\"}}"),
                submit("bad-2", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"B2\",\"TotalPrice\":\"-5\"}}"),
                submit("bad-3", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"B3\",\"TotalPrice\":{}}}"),
                submit("bad-4", "cart", "{\"fn\":\"Explode\",\"args\":{}}"),
                submit("bad-5", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"" + "x".repeat(501) + "\",\"TotalPrice\":\"1\"}}"),
                submit("bad-6", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"B6\",\"status\":\"" + "s".repeat(51) + "\",\"TotalPrice\":\"1\"}}"),
                submit("good-1", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"G1\",\"TotalPrice\":\"10.5\"}}"),
                // Refused by the cart service itself (a product added twice): a service refusal is recorded the same way.
                submit("bad-7", "cart", "{\"fn\":\"AddCartItem\",\"args\":{\"idCart\":\"G1\",\"idProduct\":\"p\",\"productName\":\"P\","
                        + "\"priceunit\":\"1\",\"quantity\":\"1\"}},{\"fn\":\"AddCartItem\",\"args\":{\"idCart\":\"G1\",\"idProduct\":\"p\","
                        + "\"productName\":\"P\",\"priceunit\":\"1\",\"quantity\":\"1\"}}")), SHOP);
        assertThat(r.statusCode()).isEqualTo(202);
        JsonNode rejected = JSON.readTree(r.body()).get("rejected");
        assertThat(rejected).hasSize(7);
        assertThat(rejected.get(0).get("field").asText()).isEqualTo("submits[0].calls[0].args.quantity");
        assertThat(rejected.get(1).get("message").asText()).contains("negative");
        assertThat(rejected.get(2).get("field").asText()).endsWith("args.TotalPrice");
        assertThat(rejected.get(3).get("field").asText()).isEqualTo("submits[3].calls[0].fn");
        assertThat(rejected.get(4).get("message").asText()).contains("500");
        assertThat(rejected.get(5).get("field").asText()).endsWith("args.status");
        assertThat(rejected.get(6).get("id").asText()).isEqualTo("bad-7");
        assertThat(rejected.get(6).get("reason").asText()).isEqualTo("PRODUCT_ALREADY_IN_CART");
        for (String id : List.of("B1", "B2", "B3", "B6")) {
            assertThatThrownBy(() -> cart(site, id)).isInstanceOf(StatusRuntimeException.class).hasMessageContaining("NOT_FOUND");
        }
        assertThat(cart(site, "G1").getItemsCount()).isZero();
        JsonNode stored = rejections(site);
        List<String> ids = new ArrayList<>();
        stored.forEach(n -> ids.add(n.get("submitId").asText()));
        assertThat(ids).containsExactlyInAnyOrder("bad-1", "bad-2", "bad-3", "bad-4", "bad-5", "bad-6", "bad-7");
        assertThat(stored.get(0).get("payload").asText()).contains("\"id\":\"bad-7\"");
    }

    @Test
    void malformedOversizedUnknownAndForeignRequestsGetTheirStatusAndAreRecorded() throws Exception {
        HttpResponse<String> notJson = edge.batch(site.getSiteKey(), "{\"v\":1,", SHOP);
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(notJson.body()).at("/error/reason").asText()).isEqualTo("MALFORMED_BATCH");
        assertThat(edge.batch(site.getSiteKey(), "{\"visitorId\":\"short\",\"submits\":[]}", SHOP).statusCode()).isEqualTo(400);
        assertThat(edge.batch(site.getSiteKey(), "[1,2]", SHOP).statusCode()).isEqualTo(400);

        String big = batch(visitor(), submit("big", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"X\",\"TotalPrice\":\"1\",\"pad\":\""
                + "p".repeat(600_000) + "\"}}"));
        HttpResponse<String> tooLarge = edge.batch(site.getSiteKey(), big, SHOP);
        assertThat(tooLarge.statusCode()).isEqualTo(413);

        String oneBigSubmit = batch(visitor(), submit("big-submit", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"X\",\"TotalPrice\":\"1\","
                + "\"pad\":\"" + "p".repeat(40_000) + "\"}}"));
        HttpResponse<String> submitTooLarge = edge.batch(site.getSiteKey(), oneBigSubmit, SHOP);
        assertThat(submitTooLarge.statusCode()).isEqualTo(202);
        assertThat(submitTooLarge.body()).contains("SUBMIT_TOO_LARGE");

        HttpResponse<String> foreign = edge.batch(site.getSiteKey(), batch(visitor(), submit("f", "cart",
                "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"F1\",\"TotalPrice\":\"1\"}}")), "https://evil.example");
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(foreign.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        assertThatThrownBy(() -> cart(site, "F1")).hasMessageContaining("NOT_FOUND");

        HttpResponse<String> unknown = edge.batch("pk_nobody_has_this", batch(visitor(), submit("u", "cart",
                "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"U1\",\"TotalPrice\":\"1\"}}")), SHOP);
        assertThat(unknown.statusCode()).isEqualTo(404);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<String> reasons = new ArrayList<>();
            rejections(site).forEach(n -> reasons.add(n.get("reason").asText()));
            assertThat(reasons).contains("MALFORMED_BATCH", "BATCH_TOO_LARGE", "SUBMIT_TOO_LARGE", "ORIGIN_NOT_ALLOWED");
            HttpResponse<String> byKey = edge.get("/api/v1/sites/-/rejections?site_key=pk_nobody_has_this",
                    "Authorization", "Bearer " + EdgeClient.ADMIN_TOKEN);
            assertThat(byKey.body()).contains("UNKNOWN_SITE_KEY");
        });
        HttpResponse<String> counts = edge.get("/api/v1/sites/" + site.getSiteId() + "/rejections/counts",
                "Authorization", "Bearer " + EdgeClient.ADMIN_TOKEN);
        assertThat(JSON.readTree(counts.body()).at("/byReason/MALFORMED_BATCH").asLong()).isEqualTo(3);
    }

    @Test
    void corsPreflightAnswersOnlyAllowedOrigins() {
        HttpResponse<String> ok = edge.send(java.net.http.HttpRequest.newBuilder(URI.create(edge.base + "/t/" + site.getSiteKey()))
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()).header("Origin", SHOP)
                .header("Access-Control-Request-Method", "POST").build());
        assertThat(ok.statusCode()).isEqualTo(204);
        assertThat(ok.headers().firstValue("Access-Control-Allow-Origin")).hasValue(SHOP);
        HttpResponse<String> refused = edge.send(java.net.http.HttpRequest.newBuilder(URI.create(edge.base + "/t/" + site.getSiteKey()))
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()).header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "POST").build());
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    @Test
    void aKeyOnlyEverWritesIntoItsOwnStore() {
        Site other = edge.newSite(TrackingMode.TRACKING_MODE_CARTS_AND_TRANSACTIONS, "", SHOP);
        String v = visitor();
        edge.batch(site.getSiteKey(), batch(v, submit("mine", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"K1\",\"TotalPrice\":\"5\"}}")), SHOP);
        // The other store's key, the same cart id: it lands in the other store, never in this one.
        assertThat(edge.batch(other.getSiteKey(), batch(v, submit("theirs", "cart",
                "{\"fn\":\"UpdateCart\",\"args\":{\"idCart\":\"K1\",\"TotalPrice\":\"999\",\"storeId\":\"" + site.getStoreId() + "\"}}")),
                SHOP).statusCode()).isEqualTo(204);
        assertThat(Moneys.toDecimal("t", cart(site, "K1").getTotalPrice(), new org.relance.kit.error.Violations())).isEqualByComparingTo("5");
        assertThat(Moneys.toDecimal("t", cart(other, "K1").getTotalPrice(), new org.relance.kit.error.Violations())).isEqualByComparingTo("999");
    }

    @Test
    void aTransactionsOnlySiteRefusesCartsAndTakesPurchases() throws Exception {
        Site purchasesOnly = edge.newSite(TrackingMode.TRACKING_MODE_TRANSACTIONS_ONLY, "", SHOP);
        HttpResponse<String> r = edge.batch(purchasesOnly.getSiteKey(), batch(visitor(),
                submit("c", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"T1\",\"TotalPrice\":\"5\"}}"),
                submit("t", "transaction", "{\"fn\":\"AddTransaction\",\"args\":{\"idTransaction\":\"TX1\",\"revenue\":10,\"tax\":0,\"shipping\":0}},"
                        + "{\"fn\":\"AddItem\",\"args\":{\"idTransaction\":\"TX1\",\"productName\":\"P\",\"idProduct\":\"p\",\"Price_unit\":10,"
                        + "\"Price_total\":10,\"quantity\":1}}")), SHOP);
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(r.body()).at("/rejected/0/reason").asText()).isEqualTo("CARTS_NOT_TRACKED");
        assertThat(edge.transactions.getTransaction(GetTransactionRequest.newBuilder().setStoreId(purchasesOnly.getStoreId())
                .setTransactionId("TX1").build()).getTransaction().getItemsCount()).isEqualTo(1);
        HttpResponse<String> script = edge.get("/js/" + purchasesOnly.getSiteKey() + "/tracker.js");
        assertThat(script.body()).contains("\"trackingMode\":\"TRANSACTIONS_ONLY\"");
    }

    @Test
    void identifyLinksTheVisitorsCartsToTheContactWithItsNames() {
        String v = visitor();
        String email = "ada-" + UUID.randomUUID().toString().substring(0, 6) + "@example.com";
        HttpResponse<String> r = edge.batch(site.getSiteKey(), batch(v,
                submit("i-1", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"I1\",\"TotalPrice\":\"42\"}}"),
                "{\"id\":\"i-2\",\"type\":\"identify\",\"args\":{\"email\":\"" + email + "\",\"firstName\":\"Ada\",\"lastName\":\"Lovelace\"}}"), SHOP);
        assertThat(r.statusCode()).isEqualTo(204);
        var contact = edge.contacts.findContactByEmail(FindContactByEmailRequest.newBuilder().setEmail(email).build()).getContact();
        assertThat(contact.getFirstName()).isEqualTo("Ada");
        assertThat(contact.getLastName()).isEqualTo("Lovelace");
        assertThat(cart(site, "I1").getContactId()).isEqualTo(contact.getContactId());
        // A later cart of the same visitor belongs to the contact from the start.
        edge.batch(site.getSiteKey(), batch(v, submit("i-3", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"I2\",\"TotalPrice\":\"1\"}}")), SHOP);
        assertThat(edge.carts.listCarts(ListCartsRequest.newBuilder().setStoreId(site.getStoreId()).setContactId(contact.getContactId()).build())
                .getCartsList()).extracting(Cart::getCartId).containsExactlyInAnyOrder("I1", "I2");
        // A bad e-mail is refused with its field.
        HttpResponse<String> bad = edge.batch(site.getSiteKey(), batch(v,
                "{\"id\":\"i-4\",\"type\":\"identify\",\"args\":{\"email\":\"not an email\"}}"), SHOP);
        assertThat(bad.statusCode()).isEqualTo(202);
        assertThat(bad.body()).contains("submits[0].args.email");
    }

    @Test
    void contactTokensIdentifyOnlyWhenSignedForThisStoreAndUnexpired() throws Exception {
        LinkTokens tokens = new LinkTokens(Services.LINK_SECRET);
        String contactId = "c-" + UUID.randomUUID();
        String v = visitor();
        String good = tokens.sign(LinkTokens.Kind.CONTACT, Instant.now().plusSeconds(600), site.getStoreId(), contactId);
        String body = "{\"v\":1,\"visitorId\":\"" + v + "\",\"contactToken\":\"" + good + "\",\"submits\":["
                + submit("ct-1", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"CT1\",\"TotalPrice\":\"3\"}}") + "]}";
        assertThat(edge.batch(site.getSiteKey(), body, SHOP).statusCode()).isEqualTo(204);
        assertThat(cart(site, "CT1").getContactId()).isEqualTo(contactId);

        String forged = new LinkTokens("another-secret-of-enough-length").sign(LinkTokens.Kind.CONTACT, Instant.now().plusSeconds(600),
                site.getStoreId(), "c-intruder");
        String expired = tokens.sign(LinkTokens.Kind.CONTACT, Instant.now().minusSeconds(1), site.getStoreId(), "c-late");
        String otherStore = tokens.sign(LinkTokens.Kind.CONTACT, Instant.now().plusSeconds(600), "another-store", "c-other");
        for (String token : List.of(forged, expired, otherStore)) {
            String v2 = visitor();
            HttpResponse<String> r = edge.batch(site.getSiteKey(), "{\"v\":1,\"visitorId\":\"" + v2 + "\",\"contactToken\":\"" + token
                    + "\",\"submits\":[" + submit("ct-" + UUID.randomUUID(), "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"" + v2
                    + "\",\"TotalPrice\":\"3\"}}") + "]}", SHOP);
            assertThat(r.statusCode()).isEqualTo(202);
            assertThat(r.body()).contains("INVALID_CONTACT_TOKEN");
            // The cart itself was applied, for nobody.
            assertThat(cart(site, v2).getContactId()).isEmpty();
        }
    }

    @Test
    void restoreLinksRedirectOnceSignedAndUnexpiredAndRecordTheClick() {
        LinkTokens tokens = new LinkTokens(Services.LINK_SECRET);
        String token = tokens.sign(LinkTokens.Kind.RESTORE, Instant.now().plusSeconds(600), site.getStoreId(), site.getSiteId(),
                "C 1/é", "c-42", "n-1");
        HttpResponse<String> r = edge.get("/r/" + token);
        assertThat(r.statusCode()).isEqualTo(302);
        String location = r.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith("https://shop.example/cart?from=mail&rl_cart=");
        String query = URI.create(location).getRawQuery();
        String cart = null;
        String contactToken = null;
        for (String pair : query.split("&")) {
            String[] kv = pair.split("=", 2);
            if (kv[0].equals("rl_cart")) {
                cart = URLDecoder.decode(kv[1], StandardCharsets.UTF_8);
            } else if (kv[0].equals("rl_ct")) {
                contactToken = URLDecoder.decode(kv[1], StandardCharsets.UTF_8);
            }
        }
        assertThat(cart).isEqualTo("C 1/é");
        LinkTokens.Verified verified = tokens.verify(contactToken, LinkTokens.Kind.CONTACT, Instant.now());
        assertThat(verified.token().orElseThrow().values()).containsExactly(site.getStoreId(), "c-42");

        String expired = tokens.sign(LinkTokens.Kind.RESTORE, Instant.now().minusSeconds(1), site.getStoreId(), site.getSiteId(), "C", "c", "n");
        assertThat(edge.get("/r/" + expired).statusCode()).isEqualTo(410);
        String forged = new LinkTokens("another-secret-of-enough-length").sign(LinkTokens.Kind.RESTORE, Instant.now().plusSeconds(600),
                site.getStoreId(), site.getSiteId(), "C", "c", "n");
        assertThat(edge.get("/r/" + forged).statusCode()).isEqualTo(404);
        assertThat(edge.get("/r/" + "garbage").statusCode()).isEqualTo(404);
        // A site of another store cannot be borrowed by a token naming this store.
        Site other = edge.newSite(TrackingMode.TRACKING_MODE_CARTS_AND_TRANSACTIONS, "https://other.example/cart", SHOP);
        String crossed = tokens.sign(LinkTokens.Kind.RESTORE, Instant.now().plusSeconds(600), site.getStoreId(), other.getSiteId(), "C", "c", "n");
        assertThat(edge.get("/r/" + crossed).statusCode()).isEqualTo(404);
    }

    @Test
    void theTrackerScriptIsServedWithItsConfigurationAndValidators() {
        HttpResponse<String> script = edge.get("/js/" + site.getSiteKey() + "/tracker.js");
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/javascript");
        assertThat(script.body()).startsWith("window.__relanceConfig={\"siteKey\":\"" + site.getSiteKey() + "\",\"endpoint\":\"" + edge.base + "\"");
        assertThat(script.body()).contains("DI");
        String etag = script.headers().firstValue("ETag").orElseThrow();
        assertThat(edge.get("/js/" + site.getSiteKey() + "/tracker.js", "If-None-Match", etag).statusCode()).isEqualTo(304);
        HttpResponse<String> dropIn = edge.get("/js/" + site.getSiteKey() + "/DI.Journey-min.js");
        assertThat(dropIn.body()).isEqualTo(script.body());
        assertThat(edge.get("/js/pk_unknown/tracker.js").statusCode()).isEqualTo(404);
    }

    @Test
    void theReadApiNeedsTheAdminTokenAndTranslatesErrors() throws Exception {
        HttpResponse<String> anonymous = edge.post("/api/v1/SegmentService/CountContacts", "application/json", "{}", null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        HttpResponse<String> count = edge.api("SegmentService/CountContacts",
                "{\"storeId\":\"" + site.getStoreId() + "\",\"condition\":{\"hasAbandonedCart\":{}}}");
        assertThat(count.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(count.body()).path("count").asLong(0)).isZero();
        HttpResponse<String> invalid = edge.api("SegmentService/CountContacts", "{\"storeId\":\"no such store!\"}");
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(invalid.body()).at("/error/status").asText()).isEqualTo("INVALID_ARGUMENT");
        assertThat(JSON.readTree(invalid.body()).at("/error/field").asText()).isNotEmpty();
        assertThat(edge.api("SegmentService/CountContacts", "{\"noSuchField\":1}").statusCode()).isEqualTo(400);
        assertThat(edge.api("ContactService/GetContact", "{\"contactId\":\"c-none\"}").statusCode()).isEqualTo(404);
        assertThat(edge.api("Nope/Nothing", "{}").statusCode()).isEqualTo(404);
    }

    @Test
    void tooManyRequestsForASiteGet429WithRetryAfterAndAreRecorded() throws Exception {
        // The test profile allows 20 requests/s per site key with a burst of 60. The requests go 40 at
        // a time: one after the other, a slow machine (a submit taking more than 25 ms) never empties
        // the bucket.
        int limited = 0;
        String retryAfter = null;
        List<HttpResponse<String>> answers = new ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(40);
        try {
            List<java.util.concurrent.Future<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < 120; i++) {
                String body = batch(visitor(), submit("rl-" + i, "cart",
                        "{\"fn\":\"UpdateCart\",\"args\":{\"idCart\":\"RL" + i + "\",\"status\":\"s\"}}"));
                sent.add(pool.submit(() -> edge.batch(site.getSiteKey(), body, SHOP)));
            }
            for (java.util.concurrent.Future<HttpResponse<String>> f : sent) {
                answers.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        for (HttpResponse<String> r : answers) {
            if (r.statusCode() == 429) {
                limited++;
                retryAfter = r.headers().firstValue("Retry-After").orElse(null);
                assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue(SHOP);
            } else {
                assertThat(r.statusCode()).isEqualTo(204);
            }
        }
        assertThat(limited).isPositive();
        assertThat(Integer.parseInt(retryAfter)).isBetween(1, 60);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> counts = edge.get("/api/v1/sites/" + site.getSiteId() + "/rejections/counts",
                    "Authorization", "Bearer " + EdgeClient.ADMIN_TOKEN);
            assertThat(JSON.readTree(counts.body()).at("/byReason/RATE_LIMITED").asLong()).isPositive();
        });
    }

    @Test
    void fuzzedBodiesNeverGet500AndEveryRefusalIsStored() throws Exception {
        java.util.Random random = new java.util.Random(20261122L);
        String valid = batch(visitor(), submit("fz", "cart",
                "{\"fn\":\"AddCartItem\",\"args\":{\"idCart\":\"FZ\",\"idProduct\":\"p\",\"productName\":\"P\",\"priceunit\":\"1.5\",\"quantity\":\"2\"}}"));
        String[] pieces = {"null", "NaN", "-1", "1e309", "\"\\u0000\"", "\"\uD83D\uDE00\"", "{}", "[]", "\"" + "x".repeat(600) + "\"",
                "true", "0.0000000001", "99999999999999999999", "\"\\uD800\"", "{\"a\":".repeat(40), "\"1,5\"", "\" 2 \""};
        int refused = 0;
        for (int i = 0; i < 250; i++) {
            StringBuilder body = new StringBuilder(valid.replace("\"fz\"", "\"fz-" + i + "\""));
            int edits = 1 + random.nextInt(3);
            for (int e = 0; e < edits; e++) {
                int at = random.nextInt(body.length());
                switch (random.nextInt(4)) {
                    case 0 -> body.deleteCharAt(at);
                    case 1 -> body.insert(at, pieces[random.nextInt(pieces.length)]);
                    case 2 -> body.setCharAt(at, (char) (32 + random.nextInt(95)));
                    default -> {
                        // Replace a value after a colon with a hostile one.
                        int colon = body.indexOf(":", at);
                        if (colon > 0) {
                            int end = colon + 1;
                            while (end < body.length() && ",}]".indexOf(body.charAt(end)) < 0) {
                                end++;
                            }
                            body.replace(colon + 1, end, pieces[random.nextInt(pieces.length)]);
                        }
                    }
                }
            }
            HttpResponse<String> r = edge.batch(site.getSiteKey(), body.toString(), SHOP);
            assertThat(r.statusCode()).as("body %s answered %s", body, r.body()).isIn(202, 204, 400, 413, 429);
            if (r.statusCode() == 202 || r.statusCode() == 400 || r.statusCode() == 413) {
                refused++;
            }
            if (r.statusCode() == 429) {
                Thread.sleep(1000);
            }
        }
        int expected = refused;
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> counts = edge.get("/api/v1/sites/" + site.getSiteId() + "/rejections/counts",
                    "Authorization", "Bearer " + EdgeClient.ADMIN_TOKEN);
            JsonNode byReason = JSON.readTree(counts.body()).get("byReason");
            long stored = 0;
            for (java.util.Iterator<java.util.Map.Entry<String, JsonNode>> it = byReason.fields(); it.hasNext(); ) {
                java.util.Map.Entry<String, JsonNode> e = it.next();
                if (!e.getKey().equals("RATE_LIMITED")) {
                    stored += e.getValue().asLong();
                }
            }
            // A 202 may refuse several submits; every refused answer stored at least one row.
            assertThat(stored).isGreaterThanOrEqualTo(expected);
        });
        assertThat(refused).isGreaterThan(50);
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE)
    void aServiceThatIsDownGets503AndTheSubmitSucceedsLater() throws Exception {
        String v = visitor();
        String identify = batch(v, "{\"id\":\"down-1\",\"type\":\"identify\",\"args\":{\"contactId\":\"c-down-" + UUID.randomUUID() + "\"}}");
        Services.stopSegment();
        try {
            HttpResponse<String> r = edge.batch(site.getSiteKey(), identify, SHOP);
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).isPresent();
            assertThat(JSON.readTree(r.body()).at("/error/status").asText()).isEqualTo("UNAVAILABLE");
        } finally {
            Services.startSegment();
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(edge.batch(site.getSiteKey(), identify, SHOP).statusCode()).isEqualTo(204));
    }
}
