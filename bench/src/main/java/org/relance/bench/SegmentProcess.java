package org.relance.bench;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The segment service's quarkus-run.jar as a child process ({@code java -Xmx256m -jar
 * quarkus-run.jar}, as {@link CartService} runs the cart service), on an external PostgreSQL
 * database, following the event streams of a running cart service and transaction service; the
 * same bearer token for all three.
 */
final class SegmentProcess implements AutoCloseable {
    private final JarProcess process;

    private SegmentProcess(JarProcess process) {
        this.process = process;
    }

    /** A service on {@code dbUrl} ({@code postgresql://host:port/db}) consuming the services on {@code cartPort} and {@code txPort}. */
    static SegmentProcess start(Path root, Path log, String dbUrl, int cartPort, int txPort) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("RELANCE_DB_URL", dbUrl);
        env.put("RELANCE_DB_USERNAME", "postgres");
        env.put("RELANCE_DB_PASSWORD", "");
        env.put("RELANCE_CART_HOST", "localhost");
        env.put("RELANCE_CART_PORT", Integer.toString(cartPort));
        env.put("RELANCE_TRANSACTION_HOST", "localhost");
        env.put("RELANCE_TRANSACTION_PORT", Integer.toString(txPort));
        // bench.segment.jar: bench/run runs a private copy, so a build during the run cannot change it.
        return new SegmentProcess(JarProcess.start(root, "segment-service", "bench.segment.jar", log, env));
    }

    int port() {
        return process.port();
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return process.log();
    }

    /** Waits until /q/health/ready answers 200; returns the time from process start to then, in ns. */
    long awaitReady(Duration timeout) {
        return process.awaitReady(timeout);
    }

    ManagedChannel channel() {
        return process.channel();
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
