package org.relance.kit.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jboss.logging.Logger;

import static java.util.Objects.requireNonNull;

/**
 * A real PostgreSQL (zonky's binaries) run as a child process, with its data kept in a folder
 * across restarts. Closing it stops the postmaster with a fast shutdown.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EmbeddedPostgresServer.class);

    private final EmbeddedPostgres postgres;
    private final Path dataDir;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres, Path dataDir) {
        this.postgres = postgres;
        this.dataDir = dataDir;
    }

    /**
     * Starts PostgreSQL on {@code dataDir} (created and initialised if new, reused otherwise).
     *
     * @param port 0 for a free port
     */
    public static EmbeddedPostgresServer start(Path dataDir, int port) {
        requireNonNull(dataDir, "dataDir");
        try {
            Path absolute = dataDir.toAbsolutePath().normalize();
            Files.createDirectories(absolute.getParent());
            stopLeftover(absolute);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(absolute)
                    .setCleanDataDirectory(false)
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("shared_buffers", "128MB")
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on");
            if (port > 0) {
                builder.setPort(port);
            }
            EmbeddedPostgres postgres = builder.start();
            LOG.infof("embedded PostgreSQL on port %d, data in %s", postgres.getPort(), absolute);
            return new EmbeddedPostgresServer(postgres, absolute);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL in " + dataDir, e);
        }
    }

    /**
     * A JVM killed with SIGKILL leaves its postmaster running on the data folder, and a new one
     * could not start there. Such a leftover (a live process named in postmaster.pid that is a
     * postgres) is stopped with a fast shutdown first.
     */
    static void stopLeftover(Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        String first = Files.readAllLines(pidFile).stream().findFirst().orElse("").strip();
        long pid;
        try {
            pid = Long.parseLong(first);
        } catch (NumberFormatException e) {
            return;
        }
        java.util.Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive()) {
            return;
        }
        Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
        if (!Files.exists(cmdline) || !new String(Files.readAllBytes(cmdline)).contains("postgres")) {
            return;
        }
        LOG.warnf("stopping a PostgreSQL left running on %s (pid %d)", dataDir, pid);
        try {
            new ProcessBuilder("kill", "-INT", Long.toString(pid)).inheritIO().start().waitFor();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (process.get().isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the leftover PostgreSQL", e);
        }
        if (process.get().isAlive()) {
            throw new IOException("a PostgreSQL (pid " + pid + ") still runs on " + dataDir);
        }
    }

    /** The port it listens on (loopback). */
    public int port() {
        return postgres.getPort();
    }

    /** The data folder. */
    public Path dataDir() {
        return dataDir;
    }

    /** JDBC URL of a database on this server, as the {@code postgres} superuser (trust authentication). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port() + "/" + database + "?user=postgres";
    }

    @Override
    public void close() {
        try {
            postgres.close();
            LOG.info("embedded PostgreSQL stopped");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stop embedded PostgreSQL", e);
        }
    }
}
