package org.relance.segment.support;

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
 * The real cart and transaction services (their packaged jars, built earlier in the reactor) as
 * processes on their own embedded PostgreSQL, feeding the segment service under test.
 */
public class SuiteProcesses implements QuarkusTestResourceLifecycleManager {
    public static final String TOKEN = "test-token";
    private static Process cart;
    private static Process transaction;
    private static int cartPort;
    private static int transactionPort;

    public static int cartPort() {
        return cartPort;
    }

    public static int transactionPort() {
        return transactionPort;
    }

    @Override
    public Map<String, String> start() {
        try {
            cartPort = freePort();
            transactionPort = freePort();
            Path dir = Path.of("target", "suite-" + UUID.randomUUID()).toAbsolutePath();
            Files.createDirectories(dir);
            cart = start("relance.cart.jar", cartPort, dir.resolve("cart"), Map.of(), "-Drelance.cart.sweep-interval=1s");
            transaction = start("relance.transaction.jar", transactionPort, dir.resolve("transaction"),
                    Map.of("RELANCE_CART_HOST", "localhost", "RELANCE_CART_PORT", Integer.toString(cartPort)),
                    "-Drelance.transaction.conversion.interval=1s");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("quarkus.grpc.clients.cart.port", Integer.toString(cartPort),
                "quarkus.grpc.clients.cart.test-port", Integer.toString(cartPort),
                "quarkus.grpc.clients.transaction.port", Integer.toString(transactionPort),
                "quarkus.grpc.clients.transaction.test-port", Integer.toString(transactionPort));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static Process start(String jarProperty, int port, Path dir, Map<String, String> env, String extra) throws IOException {
        String jar = System.getProperty(jarProperty);
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException(jarProperty + " is missing (" + jar + "): build the services first");
        }
        Files.createDirectories(dir);
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dquarkus.http.port=" + port, "-Drelance.db.embedded.data-dir=" + dir.resolve("pg"), extra,
                "-jar", jar);
        builder.environment().put("RELANCE_GRPC_TOKEN", TOKEN);
        builder.environment().putAll(env);
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("service.log").toFile()));
        Process process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!ready(port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(jarProperty + " did not start, see " + dir.resolve("service.log"));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return process;
    }

    private static boolean ready(int port) {
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
        for (Process p : new Process[] {transaction, cart}) {
            if (p != null && p.isAlive()) {
                p.destroy();
                try {
                    if (!p.waitFor(30, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
