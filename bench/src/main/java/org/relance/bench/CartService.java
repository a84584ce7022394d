package org.relance.bench;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The cart service's quarkus-run.jar as a child process, run as the local deployment runs it
 * ({@code java -Xmx256m -jar quarkus-run.jar}, see deploy's ChildService), its output in a log file.
 */
final class CartService implements AutoCloseable {
    static final String TOKEN = "bench-token";
    private final Process process;
    private final long startNanos;
    private final int port;
    private final Path log;
    private final Path embeddedDataDir;

    private CartService(Process process, long startNanos, int port, Path log, Path embeddedDataDir) {
        this.process = process;
        this.startNanos = startNanos;
        this.port = port;
        this.log = log;
        this.embeddedDataDir = embeddedDataDir;
    }

    /** The service's quarkus-run.jar: {@code bench.service.jar} (bench/run runs a private copy), else the built one. */
    static Path jar(Path root) {
        String configured = System.getProperty("bench.service.jar");
        return configured != null ? Path.of(configured) : root.resolve("cart-service/target/quarkus-app/quarkus-run.jar");
    }

    /** A service on an external PostgreSQL database ({@code postgresql://host:port/db}). */
    static CartService external(Path root, Path log, String dbUrl, Map<String, String> extraEnv) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("RELANCE_DB_URL", dbUrl);
        env.put("RELANCE_DB_USERNAME", "postgres");
        env.put("RELANCE_DB_PASSWORD", "");
        env.putAll(extraEnv);
        return start(root, log, env, null);
    }

    /** A service with its own embedded PostgreSQL in {@code dataDir}. */
    static CartService embedded(Path root, Path log, Path dataDir, Map<String, String> extraEnv) {
        return start(root, log, new LinkedHashMap<>(extraEnv), dataDir);
    }

    private static CartService start(Path root, Path log, Map<String, String> env, Path embeddedDataDir) {
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
        if (embeddedDataDir != null) {
            command.add("-Drelance.db.embedded.data-dir=" + embeddedDataDir);
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
            builder.environment().put("RELANCE_GRPC_TOKEN", TOKEN);
            builder.environment().putAll(env);
            long start = System.nanoTime();
            Process process = builder.start();
            process.getOutputStream().close();
            CartService service = new CartService(process, start, port, log, embeddedDataDir);
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
        return ServiceProcesses.awaitReady("cart service", process, port, log, startNanos, timeout);
    }

    /** A plaintext channel to the service (grpc-netty-shaded). */
    ManagedChannel channel() {
        return ServiceProcesses.channel(port);
    }

    /** The embedded postmaster's pid (first line of postmaster.pid), when this service has one. */
    OptionalLong postmasterPid() {
        if (embeddedDataDir == null) {
            return OptionalLong.empty();
        }
        try {
            String first = Files.readAllLines(embeddedDataDir.resolve("postmaster.pid"), StandardCharsets.UTF_8).get(0).trim();
            return OptionalLong.of(Long.parseLong(first));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** SIGTERM and wait (the service stops its embedded PostgreSQL itself); SIGKILL only after 60 s. */
    @Override
    public void close() {
        Cleanup.unregister(this);
        OptionalLong postmaster = postmasterPid();
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    System.err.println("bench: cart service " + process.pid() + " ignored SIGTERM for 60 s; SIGKILL");
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (postmaster.isPresent()) {
            long pid = postmaster.getAsLong();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
                Postgres.sleep(50);
            }
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                System.err.println("bench: embedded postmaster " + pid + " outlived its service; SIGINT");
                Procs.signal(pid, "INT");
            }
        }
    }

    @Override
    public String toString() {
        return "cart service pid " + process.pid() + " port " + port;
    }
}
