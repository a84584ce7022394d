package org.relance.segment.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The real cart and transaction services (their packaged jars, built earlier in the reactor) as
 * processes on their own embedded PostgreSQL, feeding the segment service under test.
 */
public class SuiteProcesses implements QuarkusTestResourceLifecycleManager {
    public static final String TOKEN = Launcher.TOKEN;
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
            cartPort = Launcher.freePort();
            transactionPort = Launcher.freePort();
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


    private static Process start(String jarProperty, int port, Path dir, Map<String, String> env, String extra) throws IOException {
        Process process = Launcher.launch(jarProperty, dir, port, env, List.of(extra));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Launcher.ready(port)) {
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
