package org.relance.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ClientProxy;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.Cart;
import org.relance.api.cart.v1.CartItem;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.api.common.v1.Money;
import org.relance.api.segment.v1.ConsentState;
import org.relance.api.segment.v1.Contact;
import org.relance.api.segment.v1.FindContactByEmailRequest;
import org.relance.api.transaction.v1.CatalogServiceGrpc;
import org.relance.api.transaction.v1.GetProductRequest;
import org.relance.api.transaction.v1.GetTransactionRequest;
import org.relance.api.transaction.v1.Product;
import org.relance.api.transaction.v1.Transaction;
import org.relance.edge.connectors.Delivery;
import org.relance.edge.connectors.PlatformApplier;
import org.relance.edge.connectors.WebhookApplier;
import org.relance.edge.support.EdgeClient;
import org.relance.edge.support.Services;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Shopify and WooCommerce webhooks through the edge, into the real cart, transaction and segment
 * services. Payloads come from src/test/resources/connectors (see its README), signed here the way
 * the platforms sign them.
 */
@QuarkusTest
@QuarkusTestResource(Services.class)
class ConnectorsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);

    private EdgeClient edge;
    private Site site;
    private String secret;
    private ManagedChannel catalogChannel;

    @BeforeEach
    void setUp() {
        edge = new EdgeClient();
        site = edge.newSite(TrackingMode.TRACKING_MODE_CARTS_AND_TRANSACTIONS, "https://shop.example/cart", "https://shop.example");
        secret = "whsec-" + UUID.randomUUID();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        edge.close();
        if (catalogChannel != null) {
            catalogChannel.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    // ---- set-up ---------------------------------------------------------------------------------

    @Test
    void aConnectorIsSetUpWithTheAdminTokenAndNeverShowsItsSecret() throws Exception {
        String path = "/api/v1/sites/" + site.getSiteId() + "/connectors/shopify";
        HttpResponse<String> anonymous = edge.send(HttpRequest.newBuilder(URI.create(edge.base + path))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"secret\":\"" + secret + "\"}")).build());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        HttpResponse<String> wrongToken = edge.send(HttpRequest.newBuilder(URI.create(edge.base + path))
                .header("Authorization", "Bearer test-admin-tokem").PUT(HttpRequest.BodyPublishers.ofString("{\"secret\":\"x\"}")).build());
        assertThat(wrongToken.statusCode()).isEqualTo(401);
        assertThat(admin("PUT", path, "{\"enabled\":true}").statusCode()).as("a new connector needs its secret").isEqualTo(400);
        assertThat(admin("PUT", "/api/v1/sites/no-such-site/connectors/shopify", "{\"secret\":\"s\"}").statusCode()).isEqualTo(404);
        assertThat(admin("PUT", "/api/v1/sites/" + site.getSiteId() + "/connectors/magento", "{\"secret\":\"s\"}").statusCode()).isEqualTo(404);

        HttpResponse<String> created = admin("PUT", path, "{\"secret\":\"" + secret + "\"}");
        assertThat(created.statusCode()).isEqualTo(200);
        assertThat(created.body()).doesNotContain(secret);
        JsonNode connector = JSON.readTree(created.body());
        assertThat(connector.get("webhookUrl").asText()).isEqualTo(edge.base + "/hooks/shopify/" + site.getSiteKey());
        assertThat(connector.get("enabled").asBoolean()).isTrue();
        assertThat(connector.get("storeId").asText()).isEqualTo(site.getStoreId());

        // Turned off, the URL answers 404 and stores nothing; the secret is kept for when it is back on.
        assertThat(admin("PUT", path, "{\"enabled\":false}").statusCode()).isEqualTo(200);
        assertThat(shopify("customers/create", "off-1", customer("off-" + UUID.randomUUID() + "@example.com", "subscribed")).statusCode())
                .isEqualTo(404);
        assertThat(admin("PUT", path, "{\"enabled\":true}").statusCode()).isEqualTo(200);
        assertThat(shopify("customers/create", "on-1", customer("on-" + UUID.randomUUID() + "@example.com", "subscribed")).statusCode())
                .isEqualTo(200);

        HttpResponse<String> list = admin("GET", "/api/v1/sites/" + site.getSiteId() + "/connectors", null);
        assertThat(JSON.readTree(list.body()).get("connectors")).hasSize(1);
        assertThat(admin("DELETE", path, null).statusCode()).isEqualTo(204);
        assertThat(admin("GET", path, null).statusCode()).isEqualTo(404);
        assertThat(shopify("customers/create", "gone-1", customer("gone@example.com", "subscribed")).statusCode()).isEqualTo(404);
    }

    // ---- Shopify --------------------------------------------------------------------------------

    @Test
    void aWrongOrMissingSignatureIsRefusedWith401AndOnlyARejectionIsStored() throws Exception {
        connect("shopify");
        String token = token();
        String body = checkout(token, "camille-" + token + "@example.com", 1, "EUR", "2024-03-04T10:05:00+01:00");

        HttpResponse<String> forged = post("/hooks/shopify/" + site.getSiteKey(), body, Map.of("X-Shopify-Topic", "checkouts/create",
                "X-Shopify-Webhook-Id", "forged-1", "X-Shopify-Hmac-Sha256", sign("not-the-secret", body)));
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(forged.body()).at("/error/reason").asText()).isEqualTo("INVALID_SIGNATURE");
        HttpResponse<String> unsigned = post("/hooks/shopify/" + site.getSiteKey(), body, Map.of("X-Shopify-Topic", "checkouts/create",
                "X-Shopify-Webhook-Id", "unsigned-1"));
        assertThat(unsigned.statusCode()).isEqualTo(401);
        // Signed right, but over other bytes than the ones sent: one changed digit is enough.
        HttpResponse<String> tampered = post("/hooks/shopify/" + site.getSiteKey(), body.replace("80.00", "8.00"),
                Map.of("X-Shopify-Topic", "checkouts/create", "X-Shopify-Webhook-Id", "tampered-1", "X-Shopify-Hmac-Sha256", sign(secret, body)));
        assertThat(tampered.statusCode()).isEqualTo(401);

        assertThat(deliveries("shopify")).isEmpty();
        Thread.sleep(500);
        assertThatThrownBy(() -> cart(token)).isInstanceOf(StatusRuntimeException.class).hasMessageContaining("NOT_FOUND");
        JsonNode rejections = JSON.readTree(admin("GET", "/api/v1/sites/" + site.getSiteId() + "/rejections?limit=50", null).body())
                .get("rejections");
        assertThat(rejections).hasSize(3).allSatisfy(r -> {
            assertThat(r.get("reason").asText()).isEqualTo("INVALID_SIGNATURE");
            assertThat(r.get("kind").asText()).isEqualTo("shopify_webhook");
            assertThat(r.get("httpStatus").asInt()).isEqualTo(401);
        });
    }

    @Test
    void aShopifyCheckoutBecomesACartOfItsBuyerWithItsReturnUrl() throws Exception {
        connect("shopify");
        String token = token();
        String email = "camille-" + token + "@example.com";
        HttpResponse<String> r = shopify("checkouts/create", "wh-" + token, checkout(token, email, 1, "EUR", "2024-03-04T10:05:00+01:00"));
        assertThat(r.statusCode()).isEqualTo(200);

        await().atMost(WAIT).untilAsserted(() -> assertThat(state(token)).isEqualTo(CartState.CART_STATE_ACTIVE));
        Cart cart = cart(token);
        assertThat(cart.getStatus()).isEqualTo("shopify-checkout");
        assertThat(amount(cart.getTotalPrice())).isEqualByComparingTo("124.88");
        // Two lines of the same variant are one cart line of quantity 2.
        assertThat(cart.getItemsList()).extracting(CartItem::getProductId, CartItem::getProductName, CartItem::getQuantity)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("70011", "USB hub - 48 ports", 1),
                        org.assertj.core.groups.Tuple.tuple("70021", "HDMI cable", 2));
        assertThat(amount(cart.getItems(1).getUnitPrice())).isEqualByComparingTo("19.99");
        Contact contact = contact(email);
        assertThat(cart.getContactId()).isEqualTo(contact.getContactId());
        assertThat(contact.getFirstName()).isEqualTo("Camille");
        assertThat(contact.getLastName()).isEqualTo("Martin");
        // The buyer ticked nothing: no consent.
        assertThat(contact.getConsent().getState()).isEqualTo(ConsentState.CONSENT_STATE_UNSPECIFIED);

        JsonNode link = JSON.readTree(admin("GET", "/api/v1/sites/" + site.getSiteId() + "/connectors/shopify/carts/" + token, null).body());
        assertThat(link.get("returnUrl").asText()).isEqualTo("https://relance-test.myshopify.com/61514268/checkouts/" + token
                + "/recover?key=k" + checkoutId(token));
        assertThat(deliveries("shopify")).singleElement().satisfies(d -> {
            assertThat(d.get("state").asText()).isEqualTo("done");
            assertThat(d.get("outcome").asText()).isEqualTo("CART_UPDATED");
        });
    }

    @Test
    void aRepeatedDeliveryIsStoredAndAppliedOnce() throws Exception {
        connect("shopify");
        String token = token();
        String body = checkout(token, "rep-" + token + "@example.com", 3, "EUR", "2024-03-04T10:05:00+01:00");
        HttpResponse<String> first = shopify("checkouts/create", "same-" + token, body);
        HttpResponse<String> again = shopify("checkouts/create", "same-" + token, body);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(first.body()).get("duplicate").asBoolean()).isFalse();
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(again.body()).get("duplicate").asBoolean()).isTrue();

        await().atMost(WAIT).untilAsserted(() -> assertThat(state(token)).isEqualTo(CartState.CART_STATE_ACTIVE));
        Thread.sleep(1000);
        assertThat(deliveries("shopify")).hasSize(1);
        assertThat(cart(token).getItemsList()).extracting(CartItem::getQuantity).containsExactly(3, 2);
    }

    @Test
    void aCheckoutUpdateAfterItsOrderDoesNotReopenTheCart() throws Exception {
        connect("shopify");
        String token = token();
        String email = "order-" + token + "@example.com";
        shopify("checkouts/create", "c1-" + token, checkout(token, email, 1, "EUR", "2024-03-04T10:05:00+01:00"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(state(token)).isEqualTo(CartState.CART_STATE_ACTIVE));

        String orderId = digits();
        assertThat(shopify("orders/create", "o1-" + token, order(orderId, token, email, "pending")).statusCode()).isEqualTo(200);
        await().atMost(WAIT).untilAsserted(() -> assertThat(state(token)).isEqualTo(CartState.CART_STATE_CONVERTED));
        Transaction tx = edge.transactions.getTransaction(GetTransactionRequest.newBuilder().setStoreId(site.getStoreId())
                .setTransactionId(orderId).build()).getTransaction();
        assertThat(tx.getCartId()).isEqualTo(token);
        assertThat(tx.getContactId()).isEqualTo(contact(email).getContactId());
        assertThat(tx.getCurrencyCode()).isEqualTo("EUR");
        assertThat(amount(tx.getRevenue())).isEqualByComparingTo("184.89");
        assertThat(amount(tx.getShipping())).isEqualByComparingTo("4.90");
        assertThat(tx.getItemsList()).hasSize(2);

        // Delivered late: Shopify's last checkout update, and the order's payment.
        shopify("checkouts/update", "c2-" + token, checkout(token, email, 5, "EUR", "2024-03-04T10:19:00+01:00"));
        shopify("orders/paid", "o2-" + token, order(orderId, token, email, "paid"));
        await().atMost(WAIT).until(() -> deliveries("shopify").size() == 4
                && JSON.valueToTree(deliveries("shopify")).findValuesAsText("state").stream().allMatch(s -> s.equals("done")));
        Cart cart = cart(token);
        assertThat(cart.getState()).isEqualTo(CartState.CART_STATE_CONVERTED);
        assertThat(cart.getItemsList()).extracting(CartItem::getQuantity).containsExactly(1, 2);
        assertThat(deliveries("shopify")).extracting(d -> d.get("outcome").asText())
                .containsExactly("TRANSACTION_ALREADY_RECORDED", "CART_ALREADY_CONVERTED", "TRANSACTION_RECORDED", "CART_UPDATED");
    }

    @Test
    void anOlderCheckoutUpdateArrivingLateDoesNotOverwriteANewerOne() throws Exception {
        connect("shopify");
        String token = token();
        String email = "late-" + token + "@example.com";
        shopify("checkouts/update", "new-" + token, checkout(token, email, 4, "EUR", "2024-03-04T10:30:00+01:00"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(state(token)).isEqualTo(CartState.CART_STATE_ACTIVE));
        shopify("checkouts/create", "old-" + token, checkout(token, email, 1, "EUR", "2024-03-04T10:05:00+01:00"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries("shopify").get(0).get("outcome").asText()).isEqualTo("STALE_UPDATE"));
        assertThat(cart(token).getItemsList()).extracting(CartItem::getQuantity).containsExactly(4, 2);
    }

    @Test
    void aCheckoutInAnotherCurrencyThanTheStoresIsRefusedWithItsReasonButItsBuyerIsKept() throws Exception {
        connect("shopify");
        String token = token();
        String email = "usd-" + token + "@example.com";
        assertThat(shopify("checkouts/create", "usd-" + token, checkout(token, email, 1, "USD", "2024-03-04T10:05:00+01:00")).statusCode())
                .isEqualTo(200);
        await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries("shopify").get(0).get("state").asText()).isEqualTo("refused"));
        JsonNode delivery = deliveries("shopify").get(0);
        assertThat(delivery.get("outcome").asText()).isEqualTo("CURRENCY_MISMATCH");
        assertThat(delivery.get("detail").asText()).contains("USD").contains("EUR");
        assertThatThrownBy(() -> cart(token)).isInstanceOf(StatusRuntimeException.class).hasMessageContaining("NOT_FOUND");
        assertThat(contact(email).getLastName()).isEqualTo("Martin");
        JsonNode rejections = JSON.readTree(admin("GET", "/api/v1/sites/" + site.getSiteId() + "/rejections?reason=CURRENCY_MISMATCH", null)
                .body()).get("rejections");
        assertThat(rejections).singleElement().satisfies(rej -> {
            assertThat(rej.get("submitId").asText()).isEqualTo("usd-" + token);
            assertThat(rej.get("kind").asText()).isEqualTo("shopify_webhook");
        });
    }

    @Test
    void aCustomerWithMarketingConsentBecomesAContactWithConsentAndCanWithdrawIt() throws Exception {
        connect("shopify");
        String email = "lea-" + UUID.randomUUID() + "@example.com";
        assertThat(shopify("customers/create", "cu1-" + email, customer(email, "subscribed")).statusCode()).isEqualTo(200);
        await().atMost(WAIT).untilAsserted(() -> assertThat(contactOrNull(email)).isNotNull());
        Contact contact = contact(email);
        assertThat(contact.getConsent().getState()).isEqualTo(ConsentState.CONSENT_STATE_GRANTED);
        assertThat(contact.getConsent().getSource()).isEqualTo("shopify-customer");
        assertThat(contact.getFirstName()).isEqualTo("Léa");
        assertThat(contact.getPhone()).isEqualTo("+33612345678");

        shopify("customers/update", "cu2-" + email, customer(email, "unsubscribed"));
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(contact(email).getConsent().getState()).isEqualTo(ConsentState.CONSENT_STATE_WITHDRAWN));
        assertThat(contact(email).getContactId()).isEqualTo(contact.getContactId());
    }

    @Test
    void aServiceThatCannotBeReachedDelaysADeliveryWithoutLosingIt() throws Exception {
        // The real services stay up (they are shared with the other tests): a stand-in in front of the
        // real applier answers UNAVAILABLE, as a gRPC call to a stopped service does, for the first two
        // attempts. What this proves: the webhook is answered and kept, retried with back-off, then applied.
        PlatformApplier real = ClientProxy.unwrap(Arc.container().instance(PlatformApplier.class).get());
        AtomicInteger calls = new AtomicInteger();
        QuarkusMock.installMockForType(new PlatformApplier(null, null, null, null, null, null, null, null) {
            @Override
            public Uni<Result> apply(Delivery d) {
                return calls.incrementAndGet() <= 2
                        ? Uni.createFrom().failure(Status.UNAVAILABLE.withDescription("cart service: connection refused").asRuntimeException())
                        : real.apply(d);
            }
        }, PlatformApplier.class);
        connect("shopify");
        String token = token();
        long start = System.nanoTime();
        HttpResponse<String> r = shopify("checkouts/create", "out-" + token, checkout(token, "out-" + token + "@example.com", 1, "EUR",
                "2024-03-04T10:05:00+01:00"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode d = deliveries("shopify").get(0);
            assertThat(d.get("state").asText()).isEqualTo("pending");
            assertThat(d.get("outcome").asText()).isEqualTo("UNAVAILABLE");
        });
        await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries("shopify").get(0).get("state").asText()).isEqualTo("done"));
        assertThat(deliveries("shopify").get(0).get("attempts").asInt()).isEqualTo(3);
        assertThat(state(token)).isEqualTo(CartState.CART_STATE_ACTIVE);
    }

    // ---- WooCommerce ----------------------------------------------------------------------------

    @Test
    void wooCommerceAPendingOrderIsACartAndItsPaymentThePurchaseThatConvertsIt() throws Exception {
        connect("woocommerce");
        // Saving a webhook in WooCommerce sends an unsigned ping first, which must be answered 200.
        HttpResponse<String> ping = post("/hooks/woocommerce/" + site.getSiteKey(), "webhook_id=17",
                Map.of("Content-Type", "application/x-www-form-urlencoded"));
        assertThat(ping.statusCode()).isEqualTo(200);
        assertThat(deliveries("woocommerce")).isEmpty();

        String orderId = digits();
        String email = "noe-" + orderId + "@example.com";
        String cartId = "wc-order-" + orderId;
        assertThat(woo("order.created", "d1-" + orderId, wooOrder(orderId, "pending", "EUR", email, "2024-03-04T09:00:00")).statusCode())
                .isEqualTo(200);
        await().atMost(WAIT).untilAsserted(() -> assertThat(state(cartId)).isEqualTo(CartState.CART_STATE_ACTIVE));
        Cart cart = cart(cartId);
        assertThat(cart.getStatus()).isEqualTo("wc-pending");
        assertThat(amount(cart.getTotalPrice())).isEqualByComparingTo("78.00");
        assertThat(cart.getItemsList()).extracting(CartItem::getProductId, CartItem::getQuantity)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("502", 2), org.assertj.core.groups.Tuple.tuple("503", 1));
        assertThat(cart.getContactId()).isEqualTo(contact(email).getContactId());
        assertThat(contact(email).getConsent().getState()).isEqualTo(ConsentState.CONSENT_STATE_UNSPECIFIED);
        // The lines' products were not in the catalogue: they are now, with the payload's image.
        Product teapot = catalog().getProduct(GetProductRequest.newBuilder().setStoreId(site.getStoreId()).setProductId("502").build())
                .getProduct();
        assertThat(teapot.getName()).isEqualTo("Tea pot - Blue");
        assertThat(teapot.getImageUrl()).isEqualTo("https://woo.example/wp-content/uploads/teapot-blue.jpg");
        assertThat(amount(teapot.getUnitPrice())).isEqualByComparingTo("20");

        // WooCommerce's delivery id hashes the webhook and the second: two updates in one second share it.
        assertThat(woo("order.updated", "same-second", wooOrder(orderId, "on-hold", "EUR", email, "2024-03-04T09:01:00")).statusCode())
                .isEqualTo(200);
        assertThat(woo("order.updated", "same-second", wooOrder(orderId, "processing", "EUR", email, "2024-03-04T09:02:00")).statusCode())
                .isEqualTo(200);
        await().atMost(WAIT).untilAsserted(() -> assertThat(state(cartId)).isEqualTo(CartState.CART_STATE_CONVERTED));
        Transaction tx = edge.transactions.getTransaction(GetTransactionRequest.newBuilder().setStoreId(site.getStoreId())
                .setTransactionId(orderId).build()).getTransaction();
        assertThat(tx.getCartId()).isEqualTo(cartId);
        assertThat(amount(tx.getTax())).isEqualByComparingTo("13.00");
        assertThat(amount(tx.getShipping())).isEqualByComparingTo("5.00");
        assertThat(tx.getAffiliation()).isEqualTo("woocommerce:checkout");
        assertThat(deliveries("woocommerce")).hasSize(3);

        JsonNode link = JSON.readTree(admin("GET", "/api/v1/sites/" + site.getSiteId() + "/connectors/woocommerce/carts/" + cartId, null).body());
        assertThat(link.get("returnUrl").asText()).startsWith("https://woo.example/checkout/order-pay/" + orderId + "/");
    }

    @Test
    void wooCommerceCustomersBecomeContactsAndForeignCurrencyOrdersAreRefused() throws Exception {
        connect("woocommerce");
        String email = "ines-" + UUID.randomUUID() + "@example.com";
        String customer = fixture("woocommerce/customer.json", Map.of("CUSTOMER_ID", digits(), "EMAIL", email));
        HttpResponse<String> wrong = post("/hooks/woocommerce/" + site.getSiteKey(), customer, Map.of("X-WC-Webhook-Topic", "customer.created",
                "X-WC-Webhook-Delivery-ID", "x", "X-WC-Webhook-Signature", sign("guess", customer)));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(woo("customer.created", "cust-" + email, customer).statusCode()).isEqualTo(200);
        await().atMost(WAIT).untilAsserted(() -> assertThat(contactOrNull(email)).isNotNull());
        assertThat(contact(email).getFirstName()).isEqualTo("Inès");

        String orderId = digits();
        woo("order.created", "gbp-" + orderId, wooOrder(orderId, "pending", "GBP", "gbp-" + orderId + "@example.com", "2024-03-04T09:00:00"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries("woocommerce").get(0).get("outcome").asText())
                .isEqualTo("CURRENCY_MISMATCH"));
        assertThatThrownBy(() -> cart("wc-order-" + orderId)).isInstanceOf(StatusRuntimeException.class).hasMessageContaining("NOT_FOUND");
    }

    // ---- helpers --------------------------------------------------------------------------------

    private void connect(String platform) {
        HttpResponse<String> r = admin("PUT", "/api/v1/sites/" + site.getSiteId() + "/connectors/" + platform,
                "{\"secret\":\"" + secret + "\",\"enabled\":true}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(edge.base + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + EdgeClient.ADMIN_TOKEN).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return edge.send(b.build());
    }

    private HttpResponse<String> post(String path, String body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(edge.base + path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (!headers.containsKey("Content-Type")) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        return edge.send(b.build());
    }

    private HttpResponse<String> shopify(String topic, String webhookId, String body) {
        return post("/hooks/shopify/" + site.getSiteKey(), body, Map.of("X-Shopify-Topic", topic, "X-Shopify-Webhook-Id", webhookId,
                "X-Shopify-Shop-Domain", "relance-test.myshopify.com", "X-Shopify-API-Version", "2024-01",
                "X-Shopify-Hmac-Sha256", sign(secret, body)));
    }

    private HttpResponse<String> woo(String topic, String deliveryId, String body) {
        String[] parts = topic.split("\\.");
        return post("/hooks/woocommerce/" + site.getSiteKey(), body, Map.of("X-WC-Webhook-Topic", topic, "X-WC-Webhook-Resource", parts[0],
                "X-WC-Webhook-Event", parts[1], "X-WC-Webhook-ID", "17", "X-WC-Webhook-Delivery-ID", deliveryId,
                "X-WC-Webhook-Source", "https://woo.example/", "X-WC-Webhook-Signature", sign(secret, body)));
    }

    /** What both platforms send: base64 of the HMAC-SHA256 of the exact body bytes. */
    private static String sign(String key, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<JsonNode> deliveries(String platform) throws IOException {
        HttpResponse<String> r = admin("GET", "/api/v1/sites/" + site.getSiteId() + "/connectors/" + platform + "/deliveries", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<JsonNode> list = new java.util.ArrayList<>();
        JSON.readTree(r.body()).get("deliveries").forEach(list::add);
        return list;
    }

    private CatalogServiceGrpc.CatalogServiceBlockingStub catalog() {
        if (catalogChannel == null) {
            catalogChannel = ManagedChannelBuilder.forAddress("localhost", Services.transactionPort()).usePlaintext().build();
        }
        return CatalogServiceGrpc.newBlockingStub(catalogChannel).withCallCredentials(new BearerToken(Services.TOKEN));
    }

    private Cart cart(String id) {
        return edge.carts.getCart(GetCartRequest.newBuilder().setStoreId(site.getStoreId()).setCartId(id).build()).getCart();
    }

    private CartState state(String id) {
        try {
            return cart(id).getState();
        } catch (StatusRuntimeException e) {
            return CartState.CART_STATE_UNSPECIFIED;
        }
    }

    private Contact contact(String email) {
        return edge.contacts.findContactByEmail(FindContactByEmailRequest.newBuilder().setEmail(email).build()).getContact();
    }

    private Contact contactOrNull(String email) {
        try {
            return contact(email);
        } catch (StatusRuntimeException e) {
            return null;
        }
    }

    private static BigDecimal amount(Money money) {
        return Moneys.toDecimal("amount", money, new Violations());
    }

    private static String token() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    private static String digits() {
        return Long.toString(ThreadLocalRandom.current().nextLong(1_000_000_000L, 9_000_000_000_000L));
    }

    /** The checkout's numeric id, derived from its token so that the test can name it again. */
    private static String checkoutId(String token) {
        return Long.toString(Long.parseLong(token.substring(0, 12), 16));
    }

    /** A checkout with {@code hubs} USB hubs at 80.00 and two HDMI cables at 19.99 (on two lines), 4.90 shipping. */
    private static String checkout(String token, String email, int hubs, String currency, String updatedAt) {
        BigDecimal subtotal = new BigDecimal("80.00").multiply(BigDecimal.valueOf(hubs)).add(new BigDecimal("39.98"));
        Map<String, String> values = new HashMap<>(Map.of("TOKEN", token, "CHECKOUT_ID", checkoutId(token), "EMAIL", email,
                "ACCEPTS", "false", "UPDATED_AT", updatedAt, "CURRENCY", currency, "HUB_QUANTITY", Integer.toString(hubs),
                "SUBTOTAL", subtotal.toPlainString(), "TOTAL", subtotal.add(new BigDecimal("4.90")).toPlainString(),
                "TAX", subtotal.divide(new BigDecimal("6"), 2, java.math.RoundingMode.HALF_EVEN).toPlainString()));
        values.put("CUSTOMER_ID", checkoutId(token).substring(0, 6));
        return fixture("shopify/checkout.json", values);
    }

    private static String order(String orderId, String checkoutToken, String email, String financialStatus) {
        return fixture("shopify/order.json", Map.of("ORDER_ID", orderId, "TOKEN", checkoutToken, "EMAIL", email,
                "FINANCIAL_STATUS", financialStatus, "CUSTOMER_ID", "42"));
    }

    private static String customer(String email, String consentState) {
        return fixture("shopify/customer.json", Map.of("CUSTOMER_ID", digits(), "EMAIL", email, "CONSENT_STATE", consentState,
                "UPDATED_AT", "2024-03-02T08:00:00+01:00"));
    }

    private static String wooOrder(String orderId, String status, String currency, String email, String modifiedGmt) {
        boolean paid = status.equals("processing") || status.equals("completed");
        return fixture("woocommerce/order.json", Map.of("ORDER_ID", orderId, "STATUS", status, "CURRENCY", currency, "EMAIL", email,
                "MODIFIED_GMT", modifiedGmt, "MODIFIED_LOCAL", modifiedGmt, "DATE_PAID", paid ? "\"" + modifiedGmt + "\"" : "null"));
    }

    private static String fixture(String name, Map<String, String> values) {
        try (InputStream in = ConnectorsIT.class.getResourceAsStream("/connectors/" + name)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (Map.Entry<String, String> e : values.entrySet()) {
                text = text.replace("{{" + e.getKey() + "}}", e.getValue());
            }
            if (text.contains("{{")) {
                throw new IllegalStateException(name + " has a placeholder left: " + text.substring(text.indexOf("{{"), text.indexOf("{{") + 20));
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
