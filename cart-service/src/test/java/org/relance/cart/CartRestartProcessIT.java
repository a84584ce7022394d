package org.relance.cart;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.CartEvent;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.WatchCartEventsRequest;
import org.relance.api.cart.v1.WatchCartEventsResponse;
import org.relance.kit.grpc.BearerToken;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.relance.cart.support.CartApi.addCart;
import static org.relance.cart.support.CartApi.addItem;

/**
 * The packaged service as a process on its own embedded PostgreSQL: stopped (SIGTERM) and
 * killed (SIGKILL) mid-stream, restarted on the same data; nothing acknowledged is lost and a
 * consumer resumes the event stream with no gap and no repeat.
 */
class CartRestartProcessIT {
    private static final String TOKEN = "process-test-token";
    private final Path dataDir = Path.of("target", "restart-" + UUID.randomUUID()).toAbsolutePath();
    private final List<Process> started = new ArrayList<>();
    private int port;

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
        // A killed JVM leaves its postmaster: the next start stops it; here we stop it ourselves.
        Path pid = dataDir.resolve("pg/postmaster.pid");
        if (Files.exists(pid)) {
            try {
                long p = Long.parseLong(Files.readAllLines(pid).get(0).strip());
                new ProcessBuilder("kill", "-INT", Long.toString(p)).start().waitFor();
            } catch (IOException | NumberFormatException e) {
                // nothing left to stop
            }
        }
    }

    private Process start() throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dquarkus.http.port=" + port, "-Drelance.db.embedded.data-dir=" + dataDir.resolve("pg"),
                "-jar", System.getProperty("relance.app.jar"));
        builder.environment().put("RELANCE_GRPC_TOKEN", TOKEN);
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("service.log").toFile()));
        Process process = builder.start();
        started.add(process);
        await().atMost(60, TimeUnit.SECONDS).pollInterval(200, TimeUnit.MILLISECONDS).until(() -> {
            assertThat(process.isAlive()).as("service died, see " + dataDir.resolve("service.log")).isTrue();
            return ready();
        });
        return process;
    }

    private boolean ready() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://localhost:" + port + "/q/health/ready").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void acknowledgedSubmitsSurviveStopAndKillAndTheStreamResumesWithoutGapOrRepeat() throws Exception {
        Files.createDirectories(dataDir);
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Process first = start();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        BearerToken token = new BearerToken(TOKEN);
        StoreServiceGrpc.newBlockingStub(channel).withCallCredentials(token).createStore(CreateStoreRequest.newBuilder()
                .setStore(Store.newBuilder().setStoreId("restart").setCurrencyCode("EUR")).build());
        List<String> acknowledged = new ArrayList<>();
        submit(channel, token, "a", 25, acknowledged);

        List<CartEvent> seen = new CopyOnWriteArrayList<>();
        watch(channel, token, 0, seen);
        await().atMost(20, TimeUnit.SECONDS).until(() -> seen.size() == 25);
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);

        first.destroy();
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
        assertThat(Files.exists(dataDir.resolve("pg/postmaster.pid"))).as("PostgreSQL stopped with the service").isFalse();

        Process second = start();
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        submit(channel, token, "b", 25, acknowledged);
        watch(channel, token, seen.get(seen.size() - 1).getSequence(), seen);
        await().atMost(20, TimeUnit.SECONDS).until(() -> seen.size() == 50);
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);

        second.destroyForcibly();
        second.waitFor(30, TimeUnit.SECONDS);
        start();
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        submit(channel, token, "c", 25, acknowledged);
        watch(channel, token, seen.get(seen.size() - 1).getSequence(), seen);
        await().atMost(20, TimeUnit.SECONDS).until(() -> seen.size() >= 75);
        Thread.sleep(300);

        assertThat(seen).extracting(CartEvent::getSequence)
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 75).boxed().toList());
        CartServiceGrpc.CartServiceBlockingStub carts = CartServiceGrpc.newBlockingStub(channel).withCallCredentials(token);
        for (String cartId : acknowledged) {
            assertThat(carts.getCart(GetCartRequest.newBuilder().setStoreId("restart").setCartId(cartId).build())
                    .getCart().getItemsCount()).isEqualTo(1);
        }
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private static void submit(ManagedChannel channel, BearerToken token, String prefix, int n, List<String> acknowledged) {
        CartServiceGrpc.CartServiceBlockingStub carts = CartServiceGrpc.newBlockingStub(channel).withCallCredentials(token);
        for (int i = 0; i < n; i++) {
            String cartId = prefix + i;
            try {
                carts.submitCart(SubmitCartRequest.newBuilder().setStoreId("restart").setSubmitId(UUID.randomUUID().toString())
                        .addOperations(addCart(cartId, null, "10")).addOperations(addItem(cartId, "p", "P", "10", 1)).build());
                acknowledged.add(cartId);
            } catch (StatusRuntimeException e) {
                throw new AssertionError("submit " + cartId + " refused: " + e.getStatus(), e);
            }
        }
    }

    private static void watch(ManagedChannel channel, BearerToken token, long after, List<CartEvent> into) {
        CartServiceGrpc.newStub(channel).withCallCredentials(token).watchCartEvents(
                WatchCartEventsRequest.newBuilder().setAfterSequence(after).build(), new StreamObserver<>() {
                    @Override
                    public void onNext(WatchCartEventsResponse value) {
                        into.add(value.getEvent());
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
    }
}
