package org.relance.edge;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartEventType;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.WatchCartEventsRequest;
import org.relance.api.cart.v1.WatchCartEventsResponse;
import org.relance.api.segment.v1.CountContactsRequest;
import org.relance.api.segment.v1.RebuildFactsRequest;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.api.segment.v1.SegmentServiceGrpc;
import org.relance.api.transaction.v1.RecordTransactionRequest;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionItem;
import org.relance.api.transaction.v1.TransactionServiceGrpc;
import org.relance.edge.support.Services;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two replicas of the cart service and two of the segment service on one PostgreSQL (DESIGN §9):
 * carts written through both cart replicas are each abandoned exactly once although both run the
 * sweeper, and both segment replicas follow the streams into the same facts, which equal a
 * rebuild from the streams.
 */
class ReplicasIT {
    private static final int CONTACTS = 30;
    private static EmbeddedPostgres postgres;
    private static final List<Process> processes = new ArrayList<>();
    private static final List<ManagedChannel> channels = new ArrayList<>();
    private static int[] cartPorts;
    private static int transactionPort;
    private static int[] segmentPorts;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Path.of("target", "replicas-" + UUID.randomUUID()).toAbsolutePath();
        Files.createDirectories(dir);
        postgres = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg")).setCleanDataDirectory(true).start();
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            for (String db : List.of("relance_cart", "relance_transaction", "relance_segment")) {
                s.execute("CREATE DATABASE " + db);
            }
        }
        cartPorts = new int[] {Services.freePort(), Services.freePort()};
        transactionPort = Services.freePort();
        segmentPorts = new int[] {Services.freePort(), Services.freePort()};
        for (int i = 0; i < 2; i++) {
            processes.add(Services.start("relance.cart.jar", cartPorts[i], dir.resolve("cart-" + i), db("relance_cart", Map.of()),
                    List.of("-Drelance.cart.sweep-interval=1s")));
        }
        processes.add(Services.start("relance.transaction.jar", transactionPort, dir.resolve("transaction"),
                db("relance_transaction", Map.of("RELANCE_CART_HOST", "localhost", "RELANCE_CART_PORT", Integer.toString(cartPorts[0]))),
                List.of("-Drelance.transaction.conversion.interval=1s")));
        for (int i = 0; i < 2; i++) {
            // Each segment replica follows the streams through a different cart replica.
            processes.add(Services.start("relance.segment.jar", segmentPorts[i], dir.resolve("segment-" + i), db("relance_segment",
                    Map.of("RELANCE_CART_HOST", "localhost", "RELANCE_CART_PORT", Integer.toString(cartPorts[i]),
                            "RELANCE_TRANSACTION_HOST", "localhost", "RELANCE_TRANSACTION_PORT", Integer.toString(transactionPort))),
                    List.of()));
        }
    }

    private static Map<String, String> db(String database, Map<String, String> more) {
        Map<String, String> env = new HashMap<>(more);
        env.put("RELANCE_DB_URL", "postgresql://localhost:" + postgres.getPort() + "/" + database);
        env.put("RELANCE_DB_USERNAME", "postgres");
        env.put("RELANCE_DB_PASSWORD", "postgres");
        return env;
    }

    @AfterAll
    static void stop() throws Exception {
        for (ManagedChannel c : channels) {
            c.shutdownNow();
        }
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    private static ManagedChannel channel(int port) {
        ManagedChannel c = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        channels.add(c);
        return c;
    }

    @Test
    void sweepersAndStreamConsumersCoordinateThroughPostgres() {
        BearerToken token = new BearerToken(Services.TOKEN);
        List<CartServiceGrpc.CartServiceBlockingStub> carts = List.of(
                CartServiceGrpc.newBlockingStub(channel(cartPorts[0])).withCallCredentials(token),
                CartServiceGrpc.newBlockingStub(channel(cartPorts[1])).withCallCredentials(token));
        List<SegmentServiceGrpc.SegmentServiceBlockingStub> segments = List.of(
                SegmentServiceGrpc.newBlockingStub(channel(segmentPorts[0])).withCallCredentials(token),
                SegmentServiceGrpc.newBlockingStub(channel(segmentPorts[1])).withCallCredentials(token));
        TransactionServiceGrpc.TransactionServiceBlockingStub transactions =
                TransactionServiceGrpc.newBlockingStub(channel(transactionPort)).withCallCredentials(token);
        String store = "rep-" + UUID.randomUUID().toString().substring(0, 8);
        StoreServiceGrpc.newBlockingStub(channel(cartPorts[1])).withCallCredentials(token).createStore(CreateStoreRequest.newBuilder()
                .setStore(Store.newBuilder().setStoreId(store).setCurrencyCode("EUR").setTimeZone("UTC")
                        .setAbandonmentDelay(com.google.protobuf.Duration.newBuilder().setSeconds(5))).build());

        // Two carts per contact, written alternately through both cart replicas.
        List<String> cartIds = new ArrayList<>();
        for (int i = 0; i < CONTACTS * 2; i++) {
            String cart = "R" + i;
            cartIds.add(cart);
            carts.get(i % 2).submitCart(SubmitCartRequest.newBuilder().setStoreId(store).setSubmitId("s-" + i)
                    .setContactId("c-" + (i % CONTACTS))
                    .addOperations(CartOperation.newBuilder().setAddCart(AddCartOperation.newBuilder().setCartId(cart)
                            .setTotalPrice(Moneys.toMoney(new BigDecimal("120"), "EUR"))))
                    .addOperations(CartOperation.newBuilder().setAddCartItem(AddCartItemOperation.newBuilder().setCartId(cart)
                            .setProductId("hdmi").setProductName("HDMI cable").setQuantity(1)
                            .setUnitPrice(Moneys.toMoney(new BigDecimal("120"), "EUR"))))
                    .build());
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (String cart : cartIds) {
                assertThat(carts.get(1).getCart(GetCartRequest.newBuilder().setStoreId(store).setCartId(cart).build()).getCart().getState())
                        .as(cart).isEqualTo(CartState.CART_STATE_ABANDONED);
            }
        });

        // Both sweepers ran every second; each cart was abandoned once, in one event.
        Map<String, Integer> abandoned = new HashMap<>();
        Iterator<WatchCartEventsResponse> events = carts.get(0).withDeadlineAfter(10, TimeUnit.SECONDS)
                .watchCartEvents(WatchCartEventsRequest.newBuilder().setStoreId(store).build());
        try {
            while (abandoned.values().stream().mapToInt(Integer::intValue).sum() < cartIds.size() && events.hasNext()) {
                var e = events.next().getEvent();
                if (e.getType() == CartEventType.CART_EVENT_TYPE_ABANDONED) {
                    abandoned.merge(e.getCart().getCartId(), 1, Integer::sum);
                }
            }
        } catch (io.grpc.StatusRuntimeException deadline) {
            // The stream stays open for new events; the deadline ends it once everything was read.
        }
        assertThat(abandoned).hasSize(cartIds.size());
        assertThat(abandoned.values()).containsOnly(1);

        // Ten contacts buy one of their carts: recovered.
        for (int i = 0; i < 10; i++) {
            transactions.recordTransaction(RecordTransactionRequest.newBuilder().setTransaction(Transaction.newBuilder()
                    .setStoreId(store).setTransactionId("T" + i).setCartId("R" + i).setContactId("c-" + i)
                    .setRevenue(Moneys.toMoney(new BigDecimal("120"), "EUR")).setTax(Moneys.toMoney(BigDecimal.ZERO, "EUR"))
                    .setShipping(Moneys.toMoney(BigDecimal.ZERO, "EUR"))
                    .addItems(TransactionItem.newBuilder().setProductId("hdmi").setProductName("HDMI cable").setQuantity(1)
                            .setUnitPrice(Moneys.toMoney(new BigDecimal("120"), "EUR"))
                            .setTotalPrice(Moneys.toMoney(new BigDecimal("120"), "EUR")))).build());
        }
        SegmentCondition hasAbandoned = SegmentCondition.newBuilder().setHasAbandonedCart(SegmentCondition.HasAbandonedCart.newBuilder()).build();
        SegmentCondition hasRecovered = SegmentCondition.newBuilder().setHasRecoveredCart(SegmentCondition.HasRecoveredCart.newBuilder()).build();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (SegmentServiceGrpc.SegmentServiceBlockingStub s : segments) {
                assertThat(count(s, store, hasAbandoned)).isEqualTo(CONTACTS);
                assertThat(count(s, store, hasRecovered)).isEqualTo(10);
            }
        });

        // The facts both replicas built equal a replay of the streams from zero.
        segments.get(0).withDeadlineAfter(120, TimeUnit.SECONDS).rebuildFacts(RebuildFactsRequest.newBuilder().setRequestId("rebuild-" + store).build());
        for (SegmentServiceGrpc.SegmentServiceBlockingStub s : segments) {
            assertThat(count(s, store, hasAbandoned)).isEqualTo(CONTACTS);
            assertThat(count(s, store, hasRecovered)).isEqualTo(10);
        }
    }

    private static long count(SegmentServiceGrpc.SegmentServiceBlockingStub segments, String store, SegmentCondition condition) {
        return segments.withDeadlineAfter(10, TimeUnit.SECONDS)
                .countContacts(CountContactsRequest.newBuilder().setStoreId(store).setCondition(condition).build()).getCount();
    }
}
