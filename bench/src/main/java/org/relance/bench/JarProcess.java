package org.relance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Any packaged service ({@code <module>/target/quarkus-app/quarkus-run.jar}) as a child process on
 * a free port, as the local deployment runs it, its output in a log file; SIGTERM on close.
 */
final class JarProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final long startNanos;
    private final int port;
    private final Path log;

    private JarProcess(String name, Process process, long startNanos, int port, Path log) {
        this.name = name;
        this.process = process;
        this.startNanos = startNanos;
        this.port = port;
        this.log = log;
    }

    /** Starts {@code module}'s jar with {@code env} (the bench's token and a free port added). */
    static JarProcess start(Path root, String module, Path log, Map<String, String> env) {
        // bench/run passes a private copy (bench.<module>.jar), so a build during the run changes nothing.
        String configured = System.getProperty("bench." + module + ".jar");
        Path jar = configured != null ? Path.of(configured) : root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
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
            ProcessBuilder builder = new ProcessBuilder(command).directory(log.getParent().toFile())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().keySet().removeIf(k -> k.startsWith("RELANCE_") || k.startsWith("QUARKUS_"));
            builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
            builder.environment().put("RELANCE_GRPC_TOKEN", CartService.TOKEN);
            builder.environment().putAll(env);
            long start = System.nanoTime();
            Process process = builder.start();
            process.getOutputStream().close();
            JarProcess started = new JarProcess(module, process, start, port, log);
            Cleanup.register(started);
            return started;
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

    long awaitReady(Duration timeout) {
        return ServiceProcesses.awaitReady(name, process, port, log, startNanos, timeout);
    }

    @Override
    public void close() {
        Cleanup.unregister(this);
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
