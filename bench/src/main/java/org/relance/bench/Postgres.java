package org.relance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Debian's PostgreSQL (default /usr/lib/postgresql/15/bin) as a child process on loopback, with a
 * fresh data folder. PostgreSQL refuses to run as root, so as root initdb and the server run as
 * {@code nobody} (setpriv), in a folder that user owns.
 */
final class Postgres implements AutoCloseable {
    static final Path BIN = Path.of(System.getProperty("bench.pg.bin", "/usr/lib/postgresql/15/bin"));

    /** Server settings of every run; the same for the service and for pgbench. */
    static final Map<String, String> SETTINGS = new LinkedHashMap<>();

    static {
        SETTINGS.put("listen_addresses", "localhost");
        SETTINGS.put("max_connections", "200");
        SETTINGS.put("shared_buffers", "1GB");
        SETTINGS.put("max_wal_size", "8GB");
        SETTINGS.put("checkpoint_timeout", "30min");
        SETTINGS.put("fsync", "on");
        SETTINGS.put("synchronous_commit", "on");
        SETTINGS.put("shared_preload_libraries", "pg_stat_statements");
        SETTINGS.put("pg_stat_statements.track", "top");
        SETTINGS.put("logging_collector", "off");
        // Extra settings for an investigation, e.g. -Dbench.pg.settings="shared_preload_libraries=pg_stat_statements,auto_explain;auto_explain.log_min_duration=5ms"
        for (String kv : System.getProperty("bench.pg.settings", "").split(";")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                SETTINGS.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
        }
    }

    private final Path dataDir;
    private final int port;
    private final Process process;
    private final Path log;

    private Postgres(Path dataDir, int port, Process process, Path log) {
        this.dataDir = dataDir;
        this.port = port;
        this.process = process;
        this.log = log;
    }

    /** initdb in {@code workDir}/pgdata and start the server; returns once it accepts connections. */
    static Postgres start(Path workDir) {
        try {
            Path data = workDir.resolve("pgdata");
            Path socketDir = workDir.resolve("pgsock");
            Files.createDirectories(socketDir);
            Path log = workDir.resolve("postgres.log");
            if (Procs.isRoot()) {
                Procs.check(60, "chown", "-R", "nobody:nogroup", workDir.toString());
                Procs.check(10, "chmod", "755", workDir.toString());
            }
            Procs.check(120, asUser(List.of(BIN.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")).toArray(String[]::new));
            int port = Procs.freePort();
            List<String> command = new ArrayList<>(List.of(BIN.resolve("postgres").toString(), "-D", data.toString(),
                    "-p", Integer.toString(port), "-k", socketDir.toString()));
            SETTINGS.forEach((k, v) -> command.addAll(List.of("-c", k + "=" + v)));
            Process process = new ProcessBuilder(asUser(command))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            process.getOutputStream().close();
            Postgres pg = new Postgres(data, port, process, log);
            Cleanup.register(pg);
            pg.awaitAccepting();
            try (Connection c = pg.connect("postgres"); Statement s = c.createStatement()) {
                s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            }
            return pg;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> asUser(List<String> command) {
        if (!Procs.isRoot()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
        wrapped.addAll(command);
        return wrapped;
    }

    private void awaitAccepting() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("PostgreSQL exited:\n" + Procs.tail(log, 30));
            }
            try (Connection c = connect("postgres")) {
                return;
            } catch (SQLException e) {
                last = e;
            }
            sleep(50);
        }
        throw new IllegalStateException("PostgreSQL did not accept connections within 60 s: " + last + "\n" + Procs.tail(log, 30));
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

    /** The server's version line. */
    String version() {
        try (Connection c = connect("postgres"); Statement s = c.createStatement();
             var rs = s.executeQuery("SHOW server_version")) {
            rs.next();
            return "PostgreSQL " + rs.getString(1);
        } catch (SQLException e) {
            return "PostgreSQL ?";
        }
    }

    /** The service's view of a database on this server. */
    String serviceUrl(String database) {
        return "postgresql://localhost:" + port + "/" + database;
    }

    Connection connect(String database) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/" + database, "postgres", "");
    }

    /** Runs statements one after another in {@code database}, autocommit. */
    void execute(String database, String... statements) {
        try (Connection c = connect(database); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    void createDatabase(String name) {
        execute("postgres", "CREATE DATABASE " + name);
    }

    /** A copy of {@code template} (file copy: fast, and the copy starts with the template's hint bits). */
    void copyDatabase(String template, String name) {
        execute("postgres", "CREATE DATABASE " + name + " TEMPLATE " + template + " STRATEGY FILE_COPY");
    }

    void dropDatabase(String name) {
        execute("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    /** Fast shutdown (SIGINT), waiting for the postmaster to exit. */
    @Override
    public void close() {
        Cleanup.unregister(this);
        if (!process.isAlive()) {
            return;
        }
        Procs.signal(process.pid(), "INT");
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                System.err.println("bench: PostgreSQL did not stop after SIGINT within 60 s; SIGQUIT");
                Procs.signal(process.pid(), "QUIT");
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
