package org.relance.bench;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.kit.grpc.BearerToken;

/**
 * The transaction service's quarkus-run.jar as a child process ({@code java -Xmx256m -jar
 * quarkus-run.jar}, as {@link CartService} runs the cart service), on an external PostgreSQL
 * database and talking to a running cart service; the same bearer token for both.
 */
final class TransactionService implements AutoCloseable {
    private static final Pattern MIGRATION = Pattern.compile("V(\\d+)__.*\\.sql");
    private final JarProcess process;

    private TransactionService(JarProcess process) {
        this.process = process;
    }

    /** A service on {@code dbUrl} ({@code postgresql://host:port/db}) using the cart service on {@code cartPort}. */
    static TransactionService start(Path root, Path log, String dbUrl, int cartPort) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("RELANCE_DB_URL", dbUrl);
        env.put("RELANCE_DB_USERNAME", "postgres");
        env.put("RELANCE_DB_PASSWORD", "");
        env.put("RELANCE_CART_HOST", "localhost");
        env.put("RELANCE_CART_PORT", Integer.toString(cartPort));
        return new TransactionService(JarProcess.start(root, "transaction-service", "bench.transaction.jar", log, env));
    }

    int port() {
        return process.port();
    }

    long pid() {
        return process.pid();
    }

    /** Waits until /q/health/ready answers 200; returns the time from process start to then, in ns. */
    long awaitReady(Duration timeout) {
        return process.awaitReady(timeout);
    }

    /** A plaintext channel to the service (grpc-netty-shaded). */
    ManagedChannel channel() {
        return process.channel();
    }

    /** Creates {@code storeId} (EUR, Europe/Paris) through the cart service's StoreService. */
    static void createStore(CartService cart, String storeId) {
        ManagedChannel channel = cart.channel();
        try {
            StoreServiceGrpc.newBlockingStub(channel).withCallCredentials(new BearerToken(CartService.TOKEN))
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder()
                            .setStoreId(storeId).setDisplayName("Bench").setCurrencyCode("EUR").setTimeZone("Europe/Paris")).build());
        } finally {
            shutdown(channel);
        }
    }

    static void shutdown(ManagedChannel channel) {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Applies the transaction service's Flyway migrations (V<n>__*.sql, in order) to {@code database}. */
    static void applyMigrations(Path root, Postgres pg, String database) {
        Path dir = root.resolve("transaction-service/src/main/resources/db/migration");
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> migrations = files.filter(p -> MIGRATION.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt(p -> {
                        Matcher m = MIGRATION.matcher(p.getFileName().toString());
                        m.matches();
                        return Integer.parseInt(m.group(1));
                    }))
                    .toList();
            if (migrations.isEmpty()) {
                throw new IllegalStateException("no migrations in " + dir);
            }
            for (Path m : migrations) {
                pg.execute(database, Files.readString(m, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGTERM and wait; SIGKILL only after 60 s. */
    @Override
    public void close() {
        process.close();
    }

    @Override
    public String toString() {
        return process.toString();
    }
}
