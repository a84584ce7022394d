package org.relance.edge.chaos;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.relance.edge.support.Services;

/**
 * Everything a chaos run needs, on the loopback: one PostgreSQL (zonky, in this JVM), the
 * {@link FaultyProxy} in front of it, and the cart, transaction, segment and edge services as
 * packaged processes that reach PostgreSQL only through the proxy. Each service keeps its port
 * and its database across kills and restarts, as under a process supervisor.
 */
final class Topology implements AutoCloseable {
    static final String LINK_SECRET = Services.LINK_SECRET;

    /** The four processes, with the system property naming each one's jar and its database. */
    enum Service {
        CART("relance.cart.jar", "relance_cart"),
        TRANSACTION("relance.transaction.jar", "relance_transaction"),
        SEGMENT("relance.segment.jar", "relance_segment"),
        EDGE("relance.app.jar", "relance_edge");

        final String jarProperty;
        final String database;

        Service(String jarProperty, String database) {
            this.jarProperty = jarProperty;
            this.database = database;
        }

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Path root;
    private final Path pgData;
    private final Map<Service, Integer> ports = new EnumMap<>(Service.class);
    private final Map<Service, Process> processes = new EnumMap<>(Service.class);
    private EmbeddedPostgres postgres;
    private int postgresPort;
    private FaultyProxy proxy;

    Topology(Path root) {
        this.root = root;
        this.pgData = root.resolve("pg");
    }

    /** Starts PostgreSQL, the proxy and the four services; answers when every service is ready. */
    void start() throws Exception {
        Files.createDirectories(root);
        for (Service service : Service.values()) {
            snapshot(service);
        }
        // The folder is new (a fresh name per run), so zonky runs initdb in it. Not "clean": a clean
        // data directory is deleted when PostgreSQL stops, and the restart fault needs it to stay.
        postgres = EmbeddedPostgres.builder().setDataDirectory(pgData).setCleanDataDirectory(false).start();
        postgresPort = postgres.getPort();
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            for (Service service : Service.values()) {
                s.execute("CREATE DATABASE " + service.database);
            }
        }
        proxy = new FaultyProxy(postgresPort);
        for (Service service : Service.values()) {
            ports.put(service, Services.freePort());
        }
        // The cart service first (the others call it at start-up), then the other three together:
        // on two cores a serial start would cost most of a short run.
        processes.put(Service.CART, launch(Service.CART));
        Map<Service, CompletableFuture<Process>> rest = new EnumMap<>(Service.class);
        for (Service service : List.of(Service.TRANSACTION, Service.SEGMENT, Service.EDGE)) {
            rest.put(service, CompletableFuture.supplyAsync(() -> {
                try {
                    return launch(service);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        for (Map.Entry<Service, CompletableFuture<Process>> e : rest.entrySet()) {
            processes.put(e.getKey(), e.getValue().get(150, TimeUnit.SECONDS));
        }
    }

    /**
     * Copies the service's packaged application into the run's folder and runs it from there:
     * a build of the same module while the suite runs (other work in the same tree) replaces the
     * jars under {@code target/quarkus-app}, and a running Quarkus process whose jars vanish
     * blocks its event loop forever on the next class it loads (quarkusio/quarkus#48750).
     */
    private void snapshot(Service service) throws IOException {
        String jar = System.getProperty(service.jarProperty);
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException(service.jarProperty + " is missing (" + jar + "): build the services first");
        }
        Path app = Path.of(jar).getParent();
        Path copy = root.resolve("apps").resolve(service.label());
        try (java.util.stream.Stream<Path> files = Files.walk(app)) {
            for (Path from : (Iterable<Path>) files::iterator) {
                Path to = copy.resolve(app.relativize(from).toString());
                if (Files.isDirectory(from)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        System.setProperty(snapshotProperty(service), copy.resolve(Path.of(jar).getFileName().toString()).toString());
    }

    private static String snapshotProperty(Service service) {
        return "relance.chaos." + service.label() + ".jar";
    }

    int port(Service service) {
        return ports.get(service);
    }

    FaultyProxy proxy() {
        return proxy;
    }

    String edgeBase() {
        return "http://localhost:" + port(Service.EDGE);
    }

    Path logOf(Service service) {
        return root.resolve(service.label()).resolve("service.log");
    }

    /** SIGKILL ({@code kill -9}): no shutdown hook, no drain, no goodbye to PostgreSQL. */
    void kill(Service service) throws InterruptedException {
        Process p = processes.get(service);
        p.destroyForcibly();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException(service + " survived SIGKILL");
        }
    }

    /** Starts the service again on its port and database; answers once it is ready. */
    void restart(Service service) throws IOException {
        processes.put(service, launch(service));
    }

    boolean alive(Service service) {
        return processes.get(service).isAlive();
    }

    /** Stops PostgreSQL (fast shutdown: sessions are terminated, as in a real restart). */
    void stopPostgres() throws IOException {
        postgres.close();
        postgres = null;
    }

    /** Starts PostgreSQL again on the same data folder and port. */
    void startPostgres() throws IOException {
        postgres = EmbeddedPostgres.builder().setDataDirectory(pgData).setCleanDataDirectory(false).setPort(postgresPort).start();
    }

    /** The HTTP status of the service's readiness endpoint, or -1 when it does not answer. */
    int readiness(Service service) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://localhost:" + port(service) + "/q/health/ready").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(4000);
            try {
                return c.getResponseCode();
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return -1;
        }
    }

    /** Each service's readiness status, for the log when one does not come back. */
    String readinessSummary() {
        StringBuilder out = new StringBuilder();
        for (Service service : Service.values()) {
            out.append(out.length() == 0 ? "" : ", ").append(service.label()).append(' ').append(readiness(service))
                    .append(alive(service) ? "" : " (process gone)");
        }
        return out.toString();
    }

    boolean allReady() {
        for (Service service : Service.values()) {
            if (readiness(service) != 200) {
                return false;
            }
        }
        return true;
    }

    private Process launch(Service service) throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("RELANCE_DB_URL", "postgresql://localhost:" + proxy.port() + "/" + service.database);
        env.put("RELANCE_DB_USERNAME", "postgres");
        env.put("RELANCE_DB_PASSWORD", "postgres");
        env.put("RELANCE_LINK_SECRET", LINK_SECRET);
        List<String> extra = new ArrayList<>();
        switch (service) {
            case CART:
                extra.add("-Drelance.cart.sweep-interval=1s");
                break;
            case TRANSACTION:
                env.putAll(to(Service.CART));
                extra.add("-Drelance.transaction.conversion.interval=1s");
                break;
            case SEGMENT:
                env.putAll(to(Service.CART));
                env.putAll(to(Service.TRANSACTION));
                // Reminders two seconds after abandonment, retried after a second (see Reminders).
                extra.add("-Drelance.segment.notifications.minimum-wait=1s");
                extra.add("-Drelance.segment.notifications.retry.initial-backoff=1s");
                extra.add("-Drelance.segment.notifications.retry.max-backoff=5s");
                break;
            case EDGE:
                env.putAll(to(Service.CART));
                env.putAll(to(Service.TRANSACTION));
                env.putAll(to(Service.SEGMENT));
                // One load generator on one address would otherwise meet the per-address limit (50/s);
                // rate limits are not what this suite is about.
                extra.add("-Drelance.edge.limits.per-address=100000");
                extra.add("-Drelance.edge.limits.per-address-burst=100000");
                extra.add("-Drelance.edge.limits.per-site=100000");
                extra.add("-Drelance.edge.limits.per-site-burst=100000");
                break;
            default:
                throw new IllegalArgumentException(service.toString());
        }
        return Services.start(snapshotProperty(service), port(service), root.resolve(service.label()), env, extra);
    }

    private Map<String, String> to(Service service) {
        String prefix = "RELANCE_" + service.name() + "_";
        return Map.of(prefix + "HOST", "localhost", prefix + "PORT", Integer.toString(port(service)));
    }

    @Override
    public void close() {
        // The edge first (it calls the others), then segment (it follows the others), transaction, cart.
        List<Service> order = List.of(Service.EDGE, Service.SEGMENT, Service.TRANSACTION, Service.CART);
        for (Service service : order) {
            Process p = processes.get(service);
            if (p != null && p.isAlive()) {
                p.destroy();
            }
        }
        for (Service service : order) {
            Process p = processes.get(service);
            try {
                if (p != null && p.isAlive() && !p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (proxy != null) {
            proxy.close();
        }
        if (postgres != null) {
            try {
                postgres.close();
            } catch (IOException e) {
                // the data folder is thrown away with target/
            }
        }
        // The logs and the report stay; the copies of the applications (about 60 MB each) and the
        // database go, so that a build running the short pass every time does not fill target/.
        for (Path bulky : List.of(root.resolve("apps"), pgData)) {
            if (Files.exists(bulky)) {
                try (java.util.stream.Stream<Path> files = Files.walk(bulky)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException e) {
                    // left for `mvn clean`
                }
            }
        }
    }
}
