package org.relance.deploy;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static java.util.Objects.requireNonNull;

/** A service of the suite running as a child process, its output going to its own log file. */
final class ChildService {
    /** How {@link #awaitReady} ended. */
    enum Readiness { READY, EXITED, TIMED_OUT, CANCELLED }

    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .build();

    /**
     * {@code setsid} puts a child in its own session, so that Ctrl-C in the terminal reaches only
     * the launcher, which then stops the services in order instead of all at once. It execs
     * in place, so the child's pid is the service's.
     */
    private static final Optional<Path> SETSID = Arrays.stream(new String[] {"/usr/bin/setsid", "/bin/setsid"})
            .map(Path::of)
            .filter(Files::isExecutable)
            .findFirst();

    private final ServiceSpec spec;
    private final Process process;
    private final Path log;

    private ChildService(ServiceSpec spec, Process process, Path log) {
        this.spec = spec;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code java -Xmx256m -jar <jar>} in {@code workingDir} with {@code environment} added to
     * the launcher's own. The previous log, if any, is kept as {@code <log>.1}.
     */
    static ChildService start(ServiceSpec spec, String javaCommand, Path jar, Path workingDir,
                              Map<String, String> environment, Path log) throws IOException {
        requireNonNull(spec, "spec");
        List<String> command = new ArrayList<>();
        SETSID.ifPresent(setsid -> command.add(setsid.toString()));
        command.addAll(List.of(javaCommand, "-Xmx256m", "-jar", jar.toString()));

        Files.createDirectories(log.getParent());
        if (Files.exists(log)) {
            Files.move(log, log.resolveSibling(log.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(log, "# " + Instant.now() + " relance: " + String.join(" ", command)
                        + " (port " + spec.port() + ", database " + spec.database() + ")\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);

        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workingDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        File devNull = new File("/dev/null");
        if (devNull.exists()) {
            builder.redirectInput(ProcessBuilder.Redirect.from(devNull));
        }
        builder.environment().putAll(environment);
        Process process = builder.start();
        if (!devNull.exists()) {
            process.getOutputStream().close();
        }
        return new ChildService(spec, process, log);
    }

    ServiceSpec spec() {
        return spec;
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code; only once it has exited. */
    int exitCode() {
        return process.exitValue();
    }

    /**
     * Polls {@code /q/health/ready} until it answers 200, the process exits, {@code timeout} passes
     * or {@code cancelled} says to give up.
     */
    Readiness awaitReady(Duration timeout, BooleanSupplier cancelled) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(spec.url() + "/q/health/ready"))
                .timeout(Duration.ofSeconds(2))
                .GET()
                .build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (cancelled.getAsBoolean()) {
                return Readiness.CANCELLED;
            }
            if (!process.isAlive()) {
                return Readiness.EXITED;
            }
            try {
                if (HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return Readiness.READY;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Readiness.CANCELLED;
            }
            if (System.nanoTime() > deadline) {
                return Readiness.TIMED_OUT;
            }
            try {
                Thread.sleep(POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Readiness.CANCELLED;
            }
        }
    }

    /**
     * SIGTERM, then SIGKILL if it has not exited after {@code grace}.
     *
     * @return how it ended, for the console
     */
    String stop(Duration grace) {
        if (!process.isAlive()) {
            return "had exited (code " + process.exitValue() + ")";
        }
        process.destroy();
        try {
            if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                return "stopped";
            }
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            return "killed after " + grace.toSeconds() + " s without stopping";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return "killed";
        }
    }

    /** The last {@code count} lines of {@code log} (reads at most its last 256 KiB). */
    static List<String> tail(Path log, int count) {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long length = file.length();
            long start = Math.max(0, length - 256 * 1024);
            byte[] bytes = new byte[(int) (length - start)];
            file.seek(start);
            file.readFully(bytes);
            List<String> lines = new ArrayList<>(List.of(new String(bytes, StandardCharsets.UTF_8).split("\r?\n", -1)));
            if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
                lines.remove(lines.size() - 1);
            }
            return List.copyOf(lines.subList(Math.max(0, lines.size() - count), lines.size()));
        } catch (IOException e) {
            return List.of("(cannot read " + log + ": " + e.getMessage() + ")");
        }
    }
}
