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
        return start(root, module, "bench." + module + ".jar", log, env);
    }

    /**
     * The same, the jar taken from the system property {@code jarProperty} when set: bench/run
     * passes a private copy, so a build during the run changes nothing.
     */
    static JarProcess start(Path root, String module, String jarProperty, Path log, Map<String, String> env) {
        String configured = System.getProperty(jarProperty);
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

    Path log() {
        return log;
    }

    /** Waits until /q/health/ready answers 200; returns the time from process start to then, in ns. */
    long awaitReady(Duration timeout) {
        return ServiceProcesses.awaitReady(name, process, port, log, startNanos, timeout);
    }

    /** A plaintext channel to the service (grpc-netty-shaded). */
    io.grpc.ManagedChannel channel() {
        return ServiceProcesses.channel(port);
    }

    /** SIGTERM and wait; SIGKILL only after 60 s. */
    @Override
    public void close() {
        Cleanup.unregister(this);
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                System.err.println("bench: " + name + " " + process.pid() + " ignored SIGTERM for 60 s; SIGKILL");
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + " pid " + process.pid() + " port " + port;
    }
}
