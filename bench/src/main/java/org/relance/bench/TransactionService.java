package org.relance.bench;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
    private final Process process;
    private final long startNanos;
    private final int port;
    private final Path log;

    private TransactionService(Process process, long startNanos, int port, Path log) {
        this.process = process;
        this.startNanos = startNanos;
        this.port = port;
        this.log = log;
    }

    static Path jar(Path root) {
        return root.resolve("transaction-service/target/quarkus-app/quarkus-run.jar");
    }

    /** A service on {@code dbUrl} ({@code postgresql://host:port/db}) using the cart service on {@code cartPort}. */
    static TransactionService start(Path root, Path log, String dbUrl, int cartPort) {
        Path jar = jar(root);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build it (bench/run does)");
        }
        int port = Procs.freePort();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String opt : System.getProperty("bench.service.jvm", "-Xmx256m").trim().split("\\s+")) {
            if (!opt.isEmpty()) {
                command.add(opt);
            }
        }
        command.add("-jar");
        command.add(jar.toString());
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(log.getParent().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().keySet().removeIf(k -> k.startsWith("RELANCE_") || k.startsWith("QUARKUS_"));
            builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
            builder.environment().put("RELANCE_GRPC_TOKEN", CartService.TOKEN);
            builder.environment().put("RELANCE_DB_URL", dbUrl);
            builder.environment().put("RELANCE_DB_USERNAME", "postgres");
            builder.environment().put("RELANCE_DB_PASSWORD", "");
            builder.environment().put("RELANCE_CART_HOST", "localhost");
            builder.environment().put("RELANCE_CART_PORT", Integer.toString(cartPort));
            long start = System.nanoTime();
            Process process = builder.start();
            process.getOutputStream().close();
            TransactionService service = new TransactionService(process, start, port, log);
            Cleanup.register(service);
            return service;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    /** Waits until /q/health/ready answers 200; returns the time from process start to then, in ns. */
    long awaitReady(Duration timeout) {
        return ServiceProcesses.awaitReady("transaction service", process, port, log, startNanos, timeout);
    }

    /** A plaintext channel to the service (grpc-netty-shaded). */
    ManagedChannel channel() {
        return ServiceProcesses.channel(port);
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
        Cleanup.unregister(this);
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    System.err.println("bench: transaction service " + process.pid() + " ignored SIGTERM for 60 s; SIGKILL");
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "transaction service pid " + process.pid() + " port " + port;
    }
}
