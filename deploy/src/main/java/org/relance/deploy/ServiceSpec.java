package org.relance.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One service of the local suite: its module folder, the port its HTTP and gRPC share, and its
 * database on the suite's PostgreSQL.
 *
 * @param module   the Maven module folder under the project root, e.g. {@code cart-service}
 * @param port     the port it listens on (HTTP and gRPC)
 * @param database the database it owns
 */
public record ServiceSpec(String module, int port, String database) {

    /** The suite in start order (DESIGN.md §10): the edge last, since it calls the others. */
    public static final List<ServiceSpec> SUITE = List.of(
            new ServiceSpec("cart-service", 8081, "relance_cart"),
            new ServiceSpec("transaction-service", 8082, "relance_transaction"),
            new ServiceSpec("segment-service", 8083, "relance_segment"),
            new ServiceSpec("edge-http", 8080, "relance_edge"));

    /** The module that serves the demo shop. */
    public static final String EDGE = "edge-http";

    public ServiceSpec {
        requireNonNull(module, "module");
        requireNonNull(database, "database");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** The packaged Quarkus application; the service counts as built when it exists. */
    public Path jar(Path root) {
        return root.resolve(module).resolve("target").resolve("quarkus-app").resolve("quarkus-run.jar");
    }

    /** {@code http://localhost:<port>}. */
    public String url() {
        return "http://localhost:" + port;
    }

    /**
     * The variable other services read to reach this one over gRPC
     * ({@code cart-service} → {@code RELANCE_CART_SERVICE_URL}); empty for the edge, which nobody calls.
     */
    public Optional<String> addressVariable() {
        if (!module.endsWith("-service")) {
            return Optional.empty();
        }
        return Optional.of("RELANCE_" + module.toUpperCase(Locale.ROOT).replace('-', '_') + "_URL");
    }
}
