package org.relance.transaction.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The real cart service (its packaged jar, built earlier in the reactor) as a process on its own
 * embedded PostgreSQL, for tests of this service. Tests may stop and start it to prove that
 * nothing is lost while it is away.
 */
public class CartServiceProcess implements QuarkusTestResourceLifecycleManager {
    public static final String TOKEN = "test-token";
    private static volatile Process process;
    private static int port;
    private static Path dataDir;

    @Override
    public Map<String, String> start() {
        try {
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            dataDir = Path.of("target", "cart-service-" + UUID.randomUUID()).toAbsolutePath();
            Files.createDirectories(dataDir);
            startProcess();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("quarkus.grpc.clients.cart.host", "localhost", "quarkus.grpc.clients.cart.port", Integer.toString(port),
                "quarkus.grpc.clients.cart.test-port", Integer.toString(port));
    }

    /** The cart service's port (gRPC and HTTP). */
    public static int port() {
        return port;
    }

    /** Starts it again after {@link #stopProcess()} (same data, same port) and waits until ready. */
    public static synchronized void startProcess() throws IOException {
        String jar = System.getProperty("relance.cart.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("the cart service jar is missing (" + jar + "): build cart-service first");
        }
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dquarkus.http.port=" + port, "-Drelance.db.embedded.data-dir=" + dataDir.resolve("pg"),
                "-Drelance.cart.sweep-interval=1s", "-jar", jar);
        builder.environment().put("RELANCE_GRPC_TOKEN", TOKEN);
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("cart-service.log").toFile()));
        process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!ready()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the cart service did not start, see " + dataDir.resolve("cart-service.log"));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Stops it (SIGTERM) and waits until it is gone. */
    public static synchronized void stopProcess() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static boolean ready() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://localhost:" + port + "/q/health/ready").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void stop() {
        try {
            stopProcess();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
