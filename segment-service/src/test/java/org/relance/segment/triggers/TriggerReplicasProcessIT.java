package org.relance.segment.triggers;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.CreateSiteRequest;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.segment.v1.Consent;
import org.relance.api.segment.v1.ConsentState;
import org.relance.api.segment.v1.Contact;
import org.relance.api.segment.v1.ContactServiceGrpc;
import org.relance.api.segment.v1.CreateTriggerRequest;
import org.relance.api.segment.v1.ListNotificationsRequest;
import org.relance.api.segment.v1.Notification;
import org.relance.api.segment.v1.NotificationState;
import org.relance.api.segment.v1.TriggerServiceGrpc;
import org.relance.api.segment.v1.UpsertContactRequest;
import org.relance.api.segment.v1.WebhookTarget;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;

import org.relance.segment.support.Launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two replicas of the packaged segment service (two processes) against one PostgreSQL, both
 * polling every 100 ms in small batches: every (trigger, cart, episode, step) reaches the
 * receiver exactly once.
 */
class TriggerReplicasProcessIT {
    private static final String TOKEN = Launcher.TOKEN;
    private static final String SECRET = "replica-test-secret-0001";
    private static final int CARTS = 40;

    private final Path root = Path.of("target", "replicas-" + UUID.randomUUID()).toAbsolutePath();
    private final List<Process> started = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final Receiver receiver = new Receiver();
    private final BearerToken token = new BearerToken(TOKEN);

    @AfterEach
    void stopAll() throws InterruptedException {
        channels.forEach(ManagedChannel::shutdownNow);
        receiver.close();
        // Replica B first: replica A runs the shared embedded PostgreSQL.
        List<Process> reversed = new ArrayList<>(started);
        Collections.reverse(reversed);
        for (Process p : reversed) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    @Timeout(value = 170, unit = TimeUnit.SECONDS)
    void twoReplicasDeliverEveryStepOfEveryCartExactlyOnce() throws Exception {
        Files.createDirectories(root);
        int cartPort = Launcher.freePort();
        int transactionPort = Launcher.freePort();
        int replicaA = Launcher.freePort();
        int replicaB = Launcher.freePort();
        int pgPort = Launcher.freePort();
        Process cart = launch("cart", "relance.cart.jar", cartPort, Map.of(), "-Drelance.cart.sweep-interval=1s");
        Process transaction = launch("transaction", "relance.transaction.jar", transactionPort,
                Map.of("RELANCE_CART_HOST", "localhost", "RELANCE_CART_PORT", Integer.toString(cartPort)),
                "-Drelance.transaction.conversion.interval=1s");
        Map<String, String> env = new HashMap<>(Map.of("RELANCE_CART_HOST", "localhost", "RELANCE_CART_PORT", Integer.toString(cartPort),
                "RELANCE_TRANSACTION_HOST", "localhost", "RELANCE_TRANSACTION_PORT", Integer.toString(transactionPort),
                "RELANCE_LINK_SECRET", "replica-test-link-secret-0001"));
        String[] fast = {"-Drelance.segment.notifications.minimum-wait=1s", "-Drelance.segment.notifications.poll-interval=100ms",
                "-Drelance.segment.notifications.batch-size=3", "-Drelance.segment.notifications.claim-batch-size=3"};
        Process a = launch("segment-a", "relance.app.jar", replicaA, env, concat(fast, "-Drelance.db.embedded.port=" + pgPort));
        awaitReady("cart", cart, cartPort);
        awaitReady("transaction", transaction, transactionPort);
        awaitReady("segment-a", a, replicaA);
        Process b = launch("segment-b", "relance.app.jar", replicaB, env, concat(fast,
                "-Drelance.db.url=postgresql://localhost:" + pgPort + "/postgres", "-Drelance.db.username=postgres"));
        awaitReady("segment-b", b, replicaB);

        ManagedChannel cartChannel = channel(cartPort);
        String store = "rep-" + UUID.randomUUID().toString().substring(0, 8);
        var stores = StoreServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        stores.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder().setStoreId(store).setCurrencyCode("EUR")
                .setTimeZone("Europe/Paris").setAbandonmentDelay(com.google.protobuf.Duration.newBuilder().setSeconds(5))).build());
        stores.createSite(CreateSiteRequest.newBuilder().setSite(Site.newBuilder().setSiteId(store + "-web").setStoreId(store)
                .setDisplayName("web").addAllowedOrigins("https://shop.example").setRestoreUrl("https://shop.example/cart")).build());

        // Created through replica B, while replica A is the one holding the database.
        String path = "/hook/" + store;
        TriggerServiceGrpc.newBlockingStub(channel(replicaB)).withCallCredentials(token).createTrigger(CreateTriggerRequest.newBuilder()
                .setRequestId(UUID.randomUUID().toString()).setTrigger(org.relance.api.segment.v1.Trigger.newBuilder().setTriggerId(store)
                        .setStoreId(store).setDisplayName("Two steps").setWait(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                        .addFollowUpWaits(com.google.protobuf.Duration.newBuilder().setSeconds(2))
                        .setWebhook(WebhookTarget.newBuilder().setUrl(receiver.url(path)).setSecret(SECRET))).build());

        var contacts = ContactServiceGrpc.newBlockingStub(channel(replicaA)).withCallCredentials(token);
        var carts = CartServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        for (int i = 0; i < CARTS; i++) {
            String contact = store + "-k" + i;
            contacts.upsertContact(UpsertContactRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setContact(Contact.newBuilder()
                    .setContactId(contact).setEmail(contact + "@example.org")
                    .setConsent(Consent.newBuilder().setState(ConsentState.CONSENT_STATE_GRANTED))).build());
            carts.submitCart(SubmitCartRequest.newBuilder().setStoreId(store).setSiteId(store + "-web").setContactId(contact)
                    .setSubmitId(UUID.randomUUID().toString())
                    .addOperations(CartOperation.newBuilder().setAddCart(AddCartOperation.newBuilder().setCartId("C" + i)
                            .setTotalPrice(Moneys.toMoney(new BigDecimal("12.50"), "EUR"))))
                    .addOperations(CartOperation.newBuilder().setAddCartItem(AddCartItemOperation.newBuilder().setCartId("C" + i)
                            .setProductId("P" + i).setProductName("Product " + i).setQuantity(1)
                            .setUnitPrice(Moneys.toMoney(new BigDecimal("12.50"), "EUR")))).build());
        }

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> receiver.received(path).size() >= 2 * CARTS);
        // A few more rounds of both replicas: nothing more arrives.
        Thread.sleep(3000);
        List<Receiver.Request> got = receiver.received(path);
        assertThat(got).hasSize(2 * CARTS);
        assertThat(got.stream().map(Receiver.Request::notificationId).distinct().count()).isEqualTo(2L * CARTS);

        var triggers = TriggerServiceGrpc.newBlockingStub(channel(replicaA)).withCallCredentials(token);
        List<Notification> log = triggers.listNotifications(ListNotificationsRequest.newBuilder().setTriggerId(store).setPageSize(1000).build())
                .getNotificationsList();
        assertThat(log).hasSize(2 * CARTS);
        assertThat(log).allSatisfy(n -> {
            assertThat(n.getState()).isEqualTo(NotificationState.NOTIFICATION_STATE_SENT);
            assertThat(n.getAttemptCount()).isEqualTo(1);
        });
        assertThat(log.stream().map(n -> n.getCartId() + "/" + n.getStep()).distinct().count()).isEqualTo(2L * CARTS);
        // Each body names its own notification: the receiver can deduplicate by it.
        assertThat(got).allSatisfy(r -> assertThat(r.body()).contains("\"notificationId\":\"" + r.notificationId() + "\""));
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private ManagedChannel channel(int port) {
        ManagedChannel c = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        channels.add(c);
        return c;
    }


    private Process launch(String name, String jarProperty, int port, Map<String, String> env, String... extra) throws IOException {
        Process process = Launcher.launch(jarProperty, root.resolve(name), port, env, List.of(extra));
        started.add(process);
        return process;
    }

    private void awaitReady(String name, Process process, int port) {
        await().atMost(90, TimeUnit.SECONDS).pollInterval(100, TimeUnit.MILLISECONDS).until(() -> {
            assertThat(process.isAlive()).as(name + " died, see " + root.resolve(name).resolve("service.log")).isTrue();
            return Launcher.ready(port);
        });
    }

}
