package org.relance.segment.triggers;

import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.CreateSiteRequest;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.cart.v1.UpdateSiteRequest;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.common.v1.Money;
import org.relance.api.segment.v1.*;
import org.relance.api.transaction.v1.CatalogServiceGrpc;
import org.relance.api.transaction.v1.Product;
import org.relance.api.transaction.v1.RecordTransactionRequest;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionServiceGrpc;
import org.relance.api.transaction.v1.UpsertProductsRequest;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;
import org.relance.kit.links.LinkTokens;
import org.relance.kit.time.MutableClock;
import org.relance.segment.notifications.WebhookSignature;
import org.relance.segment.support.SuiteProcesses;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Triggers end to end: the real cart and transaction services abandon and convert carts, the
 * segment service claims and delivers, and an HTTP receiver on loopback stands in for the e-mail
 * platform. Trigger waits are seconds here (minimum-wait is lowered for tests).
 */
@QuarkusTest
@QuarkusTestResource(SuiteProcesses.class)
class TriggerDeliveryIT {
    static final String SECRET = "receiver-secret-of-test-0001";
    static final String LINK_SECRET = "test-link-secret-of-enough-length";
    static Receiver receiver;

    @Inject
    MutableClock clock;

    private ManagedChannel own;
    private ManagedChannel cartChannel;
    private ManagedChannel transactionChannel;
    private TriggerServiceGrpc.TriggerServiceBlockingStub triggers;
    private ContactServiceGrpc.ContactServiceBlockingStub contacts;
    private CartServiceGrpc.CartServiceBlockingStub carts;
    private TransactionServiceGrpc.TransactionServiceBlockingStub transactions;
    private CatalogServiceGrpc.CatalogServiceBlockingStub catalogue;
    private String store;
    private String site;

    @BeforeAll
    static void startReceiver() {
        receiver = new Receiver();
    }

    @AfterAll
    static void stopReceiver() {
        receiver.close();
    }

    @BeforeEach
    void setUp() {
        BearerToken token = new BearerToken(SuiteProcesses.TOKEN);
        own = ManagedChannelBuilder.forAddress("localhost", ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class))
                .usePlaintext().build();
        cartChannel = ManagedChannelBuilder.forAddress("localhost", SuiteProcesses.cartPort()).usePlaintext().build();
        transactionChannel = ManagedChannelBuilder.forAddress("localhost", SuiteProcesses.transactionPort()).usePlaintext().build();
        triggers = TriggerServiceGrpc.newBlockingStub(own).withCallCredentials(token);
        contacts = ContactServiceGrpc.newBlockingStub(own).withCallCredentials(token);
        carts = CartServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        transactions = TransactionServiceGrpc.newBlockingStub(transactionChannel).withCallCredentials(token);
        catalogue = CatalogServiceGrpc.newBlockingStub(transactionChannel).withCallCredentials(token);
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        store = "s-" + suffix;
        site = "w-" + suffix;
        var storeStub = StoreServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        storeStub.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder().setStoreId(store).setDisplayName("Boutique " + suffix)
                .setCurrencyCode("EUR").setTimeZone("Pacific/Auckland")
                .setAbandonmentDelay(com.google.protobuf.Duration.newBuilder().setSeconds(5))).build());
        storeStub.createSite(CreateSiteRequest.newBuilder().setSite(Site.newBuilder().setSiteId(site).setStoreId(store)
                .setDisplayName("shop").addAllowedOrigins("https://shop.example").setRestoreUrl("https://shop.example/cart")).build());
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (ManagedChannel c : List.of(own, cartChannel, transactionChannel)) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    // ---- helpers ----

    private static Money eur(String amount) {
        return Moneys.toMoney(new BigDecimal(amount), "EUR");
    }

    private String contact(String email, ConsentState consent) {
        String id = "k-" + UUID.randomUUID().toString().substring(0, 12);
        Contact.Builder c = Contact.newBuilder().setContactId(id).setFirstName("Ada").setLastName("Lovelace")
                .setConsent(Consent.newBuilder().setState(consent).setSource("checkout-checkbox"));
        if (email != null) {
            c.setEmail(email.replace("@", "+" + id + "@"));
        }
        contacts.upsertContact(UpsertContactRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setContact(c).build());
        return id;
    }

    /** A cart of the contact on the store's site: each product as (id, name, category id), 1 × 10 EUR. */
    private String cart(String contactId, String total, String[]... products) {
        String cartId = "C" + UUID.randomUUID().toString().substring(0, 8);
        SubmitCartRequest.Builder b = SubmitCartRequest.newBuilder().setStoreId(store).setSiteId(site).setSubmitId(UUID.randomUUID().toString())
                .setContactId(contactId)
                .addOperations(CartOperation.newBuilder().setAddCart(AddCartOperation.newBuilder().setCartId(cartId).setStatus("ValidateShippingStep")
                        .setTotalPrice(eur(total))));
        for (String[] p : products) {
            AddCartItemOperation.Builder item = AddCartItemOperation.newBuilder().setCartId(cartId).setProductId(p[0]).setProductName(p[1])
                    .setUnitPrice(eur("10")).setQuantity(2);
            if (p.length > 2) {
                item.setCategoryId(p[2]);
            }
            b.addOperations(CartOperation.newBuilder().setAddCartItem(item));
        }
        carts.submitCart(b.build());
        return cartId;
    }

    private org.relance.api.segment.v1.Trigger.Builder trigger(String path, int waitSeconds) {
        return org.relance.api.segment.v1.Trigger.newBuilder().setTriggerId("t-" + UUID.randomUUID().toString().substring(0, 8))
                .setStoreId(store).setDisplayName("Reminder")
                .setWait(com.google.protobuf.Duration.newBuilder().setSeconds(waitSeconds))
                .setWebhook(WebhookTarget.newBuilder().setUrl(receiver.url(path)).setSecret(SECRET));
    }

    private org.relance.api.segment.v1.Trigger create(org.relance.api.segment.v1.Trigger.Builder t) {
        return triggers.createTrigger(CreateTriggerRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setTrigger(t).build())
                .getTrigger();
    }

    private List<Notification> notificationsOf(String triggerId) {
        return triggers.listNotifications(ListNotificationsRequest.newBuilder().setTriggerId(triggerId).build()).getNotificationsList();
    }

    private Notification awaitNotification(String triggerId, String cartId, NotificationState state, Duration within) {
        Notification[] found = new Notification[1];
        await().atMost(within).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (Notification n : notificationsOf(triggerId)) {
                if (n.getCartId().equals(cartId) && n.getState() == state) {
                    found[0] = n;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private void purchase(String contactId, String transactionId, String cartId, String revenue) {
        Transaction.Builder t = Transaction.newBuilder().setStoreId(store).setTransactionId(transactionId).setContactId(contactId)
                .setCurrencyCode("EUR").setRevenue(eur(revenue)).setTax(eur("0")).setShipping(eur("0"));
        if (cartId != null) {
            t.setCartId(cartId);
        }
        transactions.recordTransaction(RecordTransactionRequest.newBuilder().setTransaction(t).build());
    }

    private void awaitCartState(String cartId, CartState state) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> carts.getCart(GetCartRequest.newBuilder()
                .setStoreId(store).setCartId(cartId).build()).getCart().getState() == state);
    }

    // ---- tests ----

    @Test
    void abandonedCartGetsOneSignedEnrichedReminderAndItsPurchaseIsAttributed() throws Exception {
        catalogue.upsertProducts(UpsertProductsRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setStoreId(store)
                .addProducts(Product.newBuilder().setProductId("HDMI-2").setName("HDMI cable 2 m").setCategoryId("cables")
                        .setUrl("https://shop.example/p/hdmi-2").setImageUrl("https://cdn.example/hdmi-2.jpg")
                        .setImageAltText("A coiled black HDMI cable").setUnitPrice(eur("10")))
                .build());
        String path = "/hook/" + UUID.randomUUID();
        var t = create(trigger(path, 1).addProductIds("HDMI-2"));
        String ada = contact("ada@example.org", ConsentState.CONSENT_STATE_GRANTED);
        String matching = cart(ada, "20.00", new String[] {"HDMI-2", "cable", "cables"}, new String[] {"UNKNOWN-1", "Mystery box"});
        String other = cart(contact("bob@example.org", ConsentState.CONSENT_STATE_GRANTED), "20.00", new String[] {"TOASTER", "Toaster"});

        Notification sent = awaitNotification(t.getTriggerId(), matching, NotificationState.NOTIFICATION_STATE_SENT, Duration.ofSeconds(30));
        assertThat(sent.getAttemptCount()).isEqualTo(1);
        assertThat(sent.getLastStatusCode()).isEqualTo(200);
        assertThat(sent.getStep()).isEqualTo(1);
        assertThat(sent.getEpisode()).isEqualTo(1);

        List<Receiver.Request> got = receiver.received(path);
        assertThat(got).hasSize(1);
        Receiver.Request r = got.get(0);
        assertThat(r.notificationId()).isEqualTo(sent.getNotificationId());
        assertThat(r.version()).isEqualTo("v1");
        assertThat(r.contentType()).startsWith("application/json");
        assertThat(WebhookSignature.verify(SECRET, r.signature(), r.body())).isTrue();
        assertThat(WebhookSignature.verify(SECRET, r.signature(), r.body().replace("HDMI", "HDMJ"))).isFalse();

        NotificationPayload.Builder payload = NotificationPayload.newBuilder();
        JsonFormat.parser().merge(r.body(), payload);
        assertThat(payload.getVersion()).isEqualTo("v1");
        assertThat(payload.getNotificationId()).isEqualTo(sent.getNotificationId());
        assertThat(payload.getContact().getEmail()).isEqualTo("ada+" + ada + "@example.org");
        assertThat(payload.getContact().getFirstName()).isEqualTo("Ada");
        assertThat(payload.getContact().getLastName()).isEqualTo("Lovelace");
        assertThat(payload.getStoreName()).startsWith("Boutique ");
        assertThat(payload.getCurrencyCode()).isEqualTo("EUR");
        assertThat(payload.getCartTotal()).isEqualTo(eur("20"));
        assertThat(payload.getCartStatus()).isEqualTo("ValidateShippingStep");
        assertThat(payload.getItemsList()).hasSize(2);
        PayloadItem hdmi = payload.getItems(0);
        assertThat(hdmi.getProductId()).isEqualTo("HDMI-2");
        assertThat(hdmi.getProductName()).isEqualTo("HDMI cable 2 m");
        assertThat(hdmi.getProductUrl()).isEqualTo("https://shop.example/p/hdmi-2");
        assertThat(hdmi.getImageUrl()).isEqualTo("https://cdn.example/hdmi-2.jpg");
        assertThat(hdmi.getImageAltText()).isEqualTo("A coiled black HDMI cable");
        assertThat(hdmi.getCategoryId()).isEqualTo("cables");
        assertThat(hdmi.getQuantity()).isEqualTo(2);
        assertThat(hdmi.getUnitPrice()).isEqualTo(eur("10"));
        // A product the catalogue does not know keeps the cart's name and has no catalogue fields.
        assertThat(payload.getItems(1).getProductName()).isEqualTo("Mystery box");
        assertThat(payload.getItems(1).getImageUrl()).isEmpty();

        // The restore link goes through the edge and names the notification, signed with the shared secret.
        assertThat(payload.getReturnToCartUrl()).startsWith("http://localhost:8080/r/");
        String token = payload.getReturnToCartUrl().substring("http://localhost:8080/r/".length());
        var verified = new LinkTokens(LINK_SECRET).verify(token, LinkTokens.Kind.RESTORE, Instant.now());
        assertThat(verified.token()).isPresent();
        assertThat(verified.token().get().values()).containsExactly(store, site, matching, ada, sent.getNotificationId());

        // The cart outside the product filter is never notified; Explain says why.
        ExplainTriggerResponse why = triggers.explainTrigger(ExplainTriggerRequest.newBuilder().setTriggerId(t.getTriggerId())
                .setStoreId(store).setCartId(other).build());
        assertThat(why.getWouldFire()).isFalse();
        assertThat(why.getChecksList()).anySatisfy(c -> {
            assertThat(c.getKind()).isEqualTo(TriggerCheckKind.TRIGGER_CHECK_KIND_PRODUCTS);
            assertThat(c.getOutcome()).isEqualTo(CheckOutcome.CHECK_OUTCOME_FAILED);
        });
        ExplainTriggerResponse fired = triggers.explainTrigger(ExplainTriggerRequest.newBuilder().setTriggerId(t.getTriggerId())
                .setStoreId(store).setCartId(matching).build());
        assertThat(fired.getWouldFire()).isTrue();
        assertThat(fired.getNotificationsList()).extracting(Notification::getNotificationId).containsExactly(sent.getNotificationId());

        // The dry run lists the matching cart, already notified, and not the other one.
        DryRunTriggerResponse dry = triggers.dryRunTrigger(DryRunTriggerRequest.newBuilder().setTriggerId(t.getTriggerId()).build());
        assertThat(dry.getMatchesList()).extracting(DryRunMatch::getCartId).containsExactly(matching);
        assertThat(dry.getMatches(0).getAlreadyNotified()).isTrue();

        // Later rounds never send it again.
        Thread.sleep(2000);
        assertThat(receiver.received(path)).hasSize(1);

        // The shopper comes back and buys the cart: the recovery is attributed to the reminder.
        purchase(ada, "T-" + UUID.randomUUID().toString().substring(0, 8), matching, "42.50");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() ->
                triggers.getTrigger(GetTriggerRequest.newBuilder().setTriggerId(t.getTriggerId()).build()).getStatistics().getRecoveredCartCount() == 1);
        TriggerStatistics stats = triggers.getTrigger(GetTriggerRequest.newBuilder().setTriggerId(t.getTriggerId()).build()).getStatistics();
        assertThat(stats.getSentNotificationCount()).isEqualTo(1);
        assertThat(stats.getRecoveredRevenuesList()).containsExactly(eur("42.5"));
        // The store's recovery statistics count the reminder sent about that episode.
        var recovery = SegmentServiceGrpc.newBlockingStub(own).withCallCredentials(new BearerToken(SuiteProcesses.TOKEN))
                .getRecoveryStatistics(GetRecoveryStatisticsRequest.newBuilder().setStoreId(store)
                        .setStartTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(Instant.now().minusSeconds(3600).getEpochSecond()))
                        .setEndTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(Instant.now().plusSeconds(60).getEpochSecond())).build());
        assertThat(recovery.getTotals().getSentNotificationCount()).isEqualTo(1);
        Notification attributed = notificationsOf(t.getTriggerId()).get(0);
        assertThat(attributed.getRecoveredTransactionId()).startsWith("T-");
        assertThat(attributed.getRecoveredRevenue()).isEqualTo(eur("42.5"));

        // Erasing the contact removes its notifications: their payloads named its e-mail address.
        contacts.eraseContact(EraseContactRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setContactId(ada).build());
        assertThat(triggers.listNotifications(ListNotificationsRequest.newBuilder().setContactId(ada).build()).getNotificationsList()).isEmpty();
    }

    @Test
    void purchaseDuringTheWaitMeansNoReminderForThatCartNorTheContactsOtherCarts() throws Exception {
        String path = "/hook/" + UUID.randomUUID();
        var t = create(trigger(path, 8));
        String ada = contact("ada@example.org", ConsentState.CONSENT_STATE_GRANTED);
        String bought = cart(ada, "30.00", new String[] {"LAMP", "Lamp"});
        String other = cart(ada, "15.00", new String[] {"BULB", "Bulb"});
        awaitCartState(bought, CartState.CART_STATE_ABANDONED);
        awaitCartState(other, CartState.CART_STATE_ABANDONED);
        // Bought inside the 8 s wait.
        purchase(ada, "T-" + UUID.randomUUID().toString().substring(0, 8), bought, "30.00");
        awaitCartState(bought, CartState.CART_STATE_CONVERTED);

        // The other cart falls due, is claimed, and is skipped: the contact bought after its last change.
        Notification skipped = awaitNotification(t.getTriggerId(), other, NotificationState.NOTIFICATION_STATE_SKIPPED, Duration.ofSeconds(30));
        assertThat(skipped.getSkipReason()).isEqualTo(org.relance.api.segment.v1.SkipReason.SKIP_REASON_CONTACT_PURCHASED);
        Thread.sleep(1500);
        assertThat(receiver.received(path)).isEmpty();
        assertThat(notificationsOf(t.getTriggerId())).extracting(Notification::getCartId).doesNotContain(bought);
        ExplainTriggerResponse why = triggers.explainTrigger(ExplainTriggerRequest.newBuilder().setTriggerId(t.getTriggerId())
                .setStoreId(store).setCartId(bought).build());
        assertThat(why.getWouldFire()).isFalse();
        assertThat(why.getChecksList()).anySatisfy(c -> {
            assertThat(c.getKind()).isEqualTo(TriggerCheckKind.TRIGGER_CHECK_KIND_CART_ABANDONED);
            assertThat(c.getOutcome()).isEqualTo(CheckOutcome.CHECK_OUTCOME_FAILED);
            assertThat(c.getDetail()).contains("converted");
        });
    }

    @Test
    void urlTrackedPurchaseDuringTheWaitMeansNoReminderForTheContactsOtherCarts() throws Exception {
        BearerToken token = new BearerToken(SuiteProcesses.TOKEN);
        StoreServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token).updateSite(UpdateSiteRequest.newBuilder()
                .setSite(Site.newBuilder().setSiteId(site).setCartPagePattern("/checkout*").setThankYouPagePattern("/merci*"))
                .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("cart_page_pattern").addPaths("thank_you_page_pattern"))
                .build());
        String path = "/hook/" + UUID.randomUUID();
        var t = create(trigger(path, 8));
        String ada = contact("ada@example.org", ConsentState.CONSENT_STATE_GRANTED);
        String other = cart(ada, "15.00", new String[] {"BULB", "Bulb"});
        awaitCartState(other, CartState.CART_STATE_ABANDONED);
        // Inside the 8 s wait, ada buys through the URL journey alone: checkout page, then thank-you page.
        var pages = org.relance.api.cart.v1.PageViewServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        for (String url : List.of("https://shop.example/checkout", "https://shop.example/merci?order=7")) {
            pages.recordPageViews(org.relance.api.cart.v1.RecordPageViewsRequest.newBuilder().setSiteId(site).setVisitorId("v-" + ada)
                    .setContactId(ada).addPageViews(org.relance.api.cart.v1.PageView.newBuilder().setViewId(UUID.randomUUID().toString())
                            .setUrl(url)).build());
        }

        Notification skipped = awaitNotification(t.getTriggerId(), other, NotificationState.NOTIFICATION_STATE_SKIPPED, Duration.ofSeconds(30));
        assertThat(skipped.getSkipReason()).isEqualTo(org.relance.api.segment.v1.SkipReason.SKIP_REASON_CONTACT_PURCHASED);
        Thread.sleep(1500);
        assertThat(receiver.received(path)).isEmpty();
        // The URL-tracked cart itself was converted at once: it never falls due.
        assertThat(notificationsOf(t.getTriggerId())).extracting(Notification::getCartId).containsExactly(other);
    }

    @Test
    void contactsWithoutConsentOrEmailAreSkippedAndErasedOnesNeverNotified() throws Exception {
        String path = "/hook/" + UUID.randomUUID();
        var t = create(trigger(path, 3));
        String refused = contact("no@example.org", ConsentState.CONSENT_STATE_DENIED);
        String noEmail = contact(null, ConsentState.CONSENT_STATE_GRANTED);
        String erased = contact("gone@example.org", ConsentState.CONSENT_STATE_GRANTED);
        String refusedCart = cart(refused, "10.00", new String[] {"A", "A"});
        String noEmailCart = cart(noEmail, "10.00", new String[] {"A", "A"});
        String erasedCart = cart(erased, "10.00", new String[] {"A", "A"});
        awaitCartState(erasedCart, CartState.CART_STATE_ABANDONED);
        contacts.eraseContact(EraseContactRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setContactId(erased).build());

        assertThat(awaitNotification(t.getTriggerId(), refusedCart, NotificationState.NOTIFICATION_STATE_SKIPPED, Duration.ofSeconds(30))
                .getSkipReason()).isEqualTo(org.relance.api.segment.v1.SkipReason.SKIP_REASON_NO_CONSENT);
        assertThat(awaitNotification(t.getTriggerId(), noEmailCart, NotificationState.NOTIFICATION_STATE_SKIPPED, Duration.ofSeconds(30))
                .getSkipReason()).isEqualTo(org.relance.api.segment.v1.SkipReason.SKIP_REASON_NO_EMAIL);
        Thread.sleep(2000);
        assertThat(receiver.received(path)).isEmpty();
        assertThat(notificationsOf(t.getTriggerId())).extracting(Notification::getContactId).doesNotContain(erased);
    }

    @Test
    void quietHoursDeferTheReminderUntilTheyEndInTheStoresTimeZone() throws Exception {
        ZoneId auckland = ZoneId.of("Pacific/Auckland");
        LocalTime local = Instant.now().atZone(auckland).toLocalTime().truncatedTo(ChronoUnit.MINUTES);
        String path = "/hook/" + UUID.randomUUID();
        var t = create(trigger(path, 1).setQuietHours(org.relance.api.segment.v1.QuietHours.newBuilder().setStartLocalTime(local.minusHours(1).toString())
                .setEndLocalTime(local.plusHours(1).toString())));
        String ada = contact("ada@example.org", ConsentState.CONSENT_STATE_GRANTED);
        String cartId = cart(ada, "25.00", new String[] {"A", "A"});
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> notificationsOf(t.getTriggerId()).stream()
                .anyMatch(n -> n.getCartId().equals(cartId) && n.getLastError().startsWith("deferred by quiet hours")));
        Notification deferred = notificationsOf(t.getTriggerId()).get(0);
        assertThat(deferred.getState()).isEqualTo(NotificationState.NOTIFICATION_STATE_PENDING);
        Instant end = Instant.ofEpochSecond(deferred.getNextAttemptTime().getSeconds());
        assertThat(end.atZone(auckland).toLocalTime()).isEqualTo(local.plusHours(1));
        Thread.sleep(1000);
        assertThat(receiver.received(path)).isEmpty();
        try {
            clock.advance(Duration.ofHours(2));
            awaitNotification(t.getTriggerId(), cartId, NotificationState.NOTIFICATION_STATE_SENT, Duration.ofSeconds(20));
        } finally {
            clock.advance(Duration.ofHours(-2));
        }
        assertThat(receiver.received(path)).hasSize(1);
    }

    @Test
    void failingReceiverIsRetriedHonouringRetryAfterThenDeliveredOnce() throws Exception {
        String path = "/hook/" + UUID.randomUUID();
        receiver.script(path, new Receiver.Answer(500, null), new Receiver.Answer(429, "2"));
        var t = create(trigger(path, 1).setWebhook(WebhookTarget.newBuilder().setUrl(receiver.url(path))
                .setSecretRef("RELANCE_WEBHOOK_SECRET_TEST")));
        String ada = contact("ada@example.org", ConsentState.CONSENT_STATE_GRANTED);
        String cartId = cart(ada, "25.00", new String[] {"A", "A"});

        Notification sent = awaitNotification(t.getTriggerId(), cartId, NotificationState.NOTIFICATION_STATE_SENT, Duration.ofSeconds(40));
        assertThat(sent.getAttemptCount()).isEqualTo(3);
        assertThat(sent.getLastStatusCode()).isEqualTo(200);
        assertThat(sent.getLastError()).isEmpty();
        // The delivery log keeps each attempt with its answer.
        assertThat(sent.getAttemptsList()).extracting(DeliveryAttempt::getStatusCode).containsExactly(500, 429, 200);
        assertThat(sent.getAttemptsList()).extracting(DeliveryAttempt::getError).containsExactly("HTTP 500", "HTTP 429", "");
        List<Receiver.Request> got = receiver.received(path);
        assertThat(got).hasSize(3);
        assertThat(got).extracting(Receiver.Request::notificationId).containsOnly(sent.getNotificationId());
        // The same body each time, signed with the secret named in the configuration.
        assertThat(got).extracting(Receiver.Request::body).containsOnly(got.get(0).body());
        assertThat(WebhookSignature.verify("secret-from-configuration-0001", got.get(2).signature(), got.get(2).body())).isTrue();
        assertThat(Duration.between(got.get(1).at(), got.get(2).at())).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        assertThat(triggers.getTrigger(GetTriggerRequest.newBuilder().setTriggerId(t.getTriggerId()).build()).getTrigger().getWebhook()
                .getSecretRef()).isEqualTo("RELANCE_WEBHOOK_SECRET_TEST");
    }

    @Test
    void receiverRefusingOutrightFailsTheNotificationWhichCanBeRedelivered() throws Exception {
        String path = "/hook/" + UUID.randomUUID();
        receiver.script(path, new Receiver.Answer(400, null));
        var t = create(trigger(path, 1));
        String ada = contact("ada@example.org", ConsentState.CONSENT_STATE_GRANTED);
        String cartId = cart(ada, "25.00", new String[] {"A", "A"});
        Notification failed = awaitNotification(t.getTriggerId(), cartId, NotificationState.NOTIFICATION_STATE_FAILED, Duration.ofSeconds(30));
        assertThat(failed.getLastError()).isEqualTo("HTTP 400");
        assertThat(failed.getAttemptCount()).isEqualTo(1);

        String request = UUID.randomUUID().toString();
        triggers.redeliverNotification(RedeliverNotificationRequest.newBuilder().setRequestId(request)
                .setNotificationId(failed.getNotificationId()).build());
        Notification sent = awaitNotification(t.getTriggerId(), cartId, NotificationState.NOTIFICATION_STATE_SENT, Duration.ofSeconds(20));
        assertThat(sent.getNotificationId()).isEqualTo(failed.getNotificationId());
        // The same request again changes nothing and sends nothing more.
        triggers.redeliverNotification(RedeliverNotificationRequest.newBuilder().setRequestId(request)
                .setNotificationId(failed.getNotificationId()).build());
        Thread.sleep(1500);
        assertThat(receiver.received(path)).hasSize(2);
        assertThat(receiver.received(path).get(0).body()).isEqualTo(receiver.received(path).get(1).body());
    }

    @Test
    void triggersAreManagedAndBadOnesRefusedWithFieldViolations() {
        var bad = org.relance.api.segment.v1.Trigger.newBuilder().setStoreId("no-such-store").setDisplayName("")
                .setWait(com.google.protobuf.Duration.newBuilder().setSeconds(0))
                .setQuietHours(org.relance.api.segment.v1.QuietHours.newBuilder().setStartLocalTime("22:00").setEndLocalTime("22:00"))
                .setWebhook(WebhookTarget.newBuilder().setUrl("http://example.com/hook").setSecret("short"));
        assertThatThrownBy(() -> triggers.createTrigger(CreateTriggerRequest.newBuilder().setRequestId("r-1").setTrigger(bad).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    List<String> fields = violations(e);
                    assertThat(fields).contains("trigger.store_id", "trigger.display_name", "trigger.wait",
                            "trigger.quiet_hours.end_local_time", "trigger.webhook.url", "trigger.webhook.secret");
                });

        String request = UUID.randomUUID().toString();
        var created = triggers.createTrigger(CreateTriggerRequest.newBuilder().setRequestId(request).setTrigger(trigger("/unused", 60)).build())
                .getTrigger();
        assertThat(created.getState()).isEqualTo(TriggerState.TRIGGER_STATE_ACTIVE);
        assertThat(created.getWebhook().getHasSecret()).isTrue();
        assertThat(created.getWebhook().getSecret()).isEmpty();
        // A repeated request answers the same trigger; another request with the same id is ALREADY_EXISTS.
        assertThat(triggers.createTrigger(CreateTriggerRequest.newBuilder().setRequestId(request).setTrigger(trigger("/unused", 60)
                .setTriggerId(created.getTriggerId())).build()).getTrigger().getTriggerId()).isEqualTo(created.getTriggerId());
        assertThatThrownBy(() -> triggers.createTrigger(CreateTriggerRequest.newBuilder().setRequestId(UUID.randomUUID().toString())
                .setTrigger(trigger("/unused", 60).setTriggerId(created.getTriggerId())).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS));

        var updated = triggers.updateTrigger(UpdateTriggerRequest.newBuilder().setTrigger(org.relance.api.segment.v1.Trigger.newBuilder()
                        .setTriggerId(created.getTriggerId()).setDisplayName("Renamed").addFollowUpWaits(com.google.protobuf.Duration.newBuilder().setSeconds(3600)))
                .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("display_name").addPaths("follow_up_waits")).build()).getTrigger();
        assertThat(updated.getDisplayName()).isEqualTo("Renamed");
        assertThat(updated.getFollowUpWaitsList()).hasSize(1);
        assertThat(updated.getWebhook().getHasSecret()).isTrue();

        assertThat(triggers.pauseTrigger(PauseTriggerRequest.newBuilder().setTriggerId(created.getTriggerId()).build()).getTrigger().getState())
                .isEqualTo(TriggerState.TRIGGER_STATE_PAUSED);
        assertThat(triggers.listTriggers(ListTriggersRequest.newBuilder().setStoreId(store).setState(TriggerState.TRIGGER_STATE_PAUSED).build())
                .getTriggersList()).extracting(org.relance.api.segment.v1.Trigger::getTriggerId).containsExactly(created.getTriggerId());
        assertThat(triggers.resumeTrigger(ResumeTriggerRequest.newBuilder().setTriggerId(created.getTriggerId()).build()).getTrigger().getState())
                .isEqualTo(TriggerState.TRIGGER_STATE_ACTIVE);
        triggers.deleteTrigger(DeleteTriggerRequest.newBuilder().setTriggerId(created.getTriggerId()).build());
        assertThatThrownBy(() -> triggers.getTrigger(GetTriggerRequest.newBuilder().setTriggerId(created.getTriggerId()).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    static List<String> violations(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        return status.getDetailsList().stream().filter(d -> d.is(com.google.rpc.BadRequest.class)).flatMap(d -> {
            try {
                return d.unpack(com.google.rpc.BadRequest.class).getFieldViolationsList().stream().map(v -> v.getField());
            } catch (com.google.protobuf.InvalidProtocolBufferException x) {
                throw new IllegalStateException(x);
            }
        }).toList();
    }
}
