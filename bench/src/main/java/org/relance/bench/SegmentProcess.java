package org.relance.bench;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The segment service's quarkus-run.jar as a child process ({@code java -Xmx256m -jar
 * quarkus-run.jar}, as {@link CartService} runs the cart service), on an external PostgreSQL
 * database, following the event streams of a running cart service and transaction service; the
 * same bearer token for all three.
 */
final class SegmentProcess implements AutoCloseable {
    private final Process process;
    private final long startNanos;
    private final int port;
    private final Path log;

    private SegmentProcess(Process process, long startNanos, int port, Path log) {
        this.process = process;
        this.startNanos = startNanos;
        this.port = port;
        this.log = log;
    }

    /** {@code bench.segment.jar} (bench/run runs a private copy, so a build during the run cannot change it), else the built one. */
    static Path jar(Path root) {
        String configured = System.getProperty("bench.segment.jar");
        return configured != null ? Path.of(configured) : root.resolve("segment-service/target/quarkus-app/quarkus-run.jar");
    }

    /** A service on {@code dbUrl} ({@code postgresql://host:port/db}) consuming the services on {@code cartPort} and {@code txPort}. */
    static SegmentProcess start(Path root, Path log, String dbUrl, int cartPort, int txPort) {
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
            builder.environment().put("RELANCE_TRANSACTION_HOST", "localhost");
            builder.environment().put("RELANCE_TRANSACTION_PORT", Integer.toString(txPort));
            long start = System.nanoTime();
            Process process = builder.start();
            process.getOutputStream().close();
            SegmentProcess service = new SegmentProcess(process, start, port, log);
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

    Path log() {
        return log;
    }

    /** Waits until /q/health/ready answers 200; returns the time from process start to then, in ns. */
    long awaitReady(Duration timeout) {
        return ServiceProcesses.awaitReady("segment service", process, port, log, startNanos, timeout);
    }

    ManagedChannel channel() {
        return ServiceProcesses.channel(port);
    }

    /** SIGTERM and wait; SIGKILL only after 60 s. */
    @Override
    public void close() {
        Cleanup.unregister(this);
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    System.err.println("bench: segment service " + process.pid() + " ignored SIGTERM for 60 s; SIGKILL");
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
        return "segment service pid " + process.pid() + " port " + port;
    }
}
