package org.relance.kit.db;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Connection;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The service's PostgreSQL: started embedded when no URL is configured, migrated with Flyway
 * before anything else runs, then reached through a bounded R2DBC pool.
 */
@Startup
@Singleton
public class Database {
    private static final Logger LOG = Logger.getLogger(Database.class);

    private final EmbeddedPostgresServer embedded;
    private final PostgresqlConnectionFactory connectionFactory;
    private final ConnectionPool pool;
    private final String description;

    public Database(DatabaseConfig config, @ConfigProperty(name = "quarkus.application.name") String applicationName) {
        Target target;
        if (config.url().isPresent() && !config.url().get().isBlank()) {
            embedded = null;
            target = Target.parse(config.url().get(), config.username(), config.password());
        } else {
            embedded = EmbeddedPostgresServer.start(Path.of(config.embedded().dataDir()), config.embedded().port());
            target = new Target("localhost", embedded.port(), "postgres", "postgres", Optional.empty(),
                    io.r2dbc.postgresql.client.SSLMode.DISABLE, Optional.empty());
        }
        description = target.host + ":" + target.port + "/" + target.database;
        try {
            Migrations.migrate(target.jdbcUrl(), target.username, target.password.orElse(null));
        } catch (RuntimeException e) {
            closeEmbedded();
            throw e;
        }
        PostgresqlConnectionConfiguration.Builder builder = PostgresqlConnectionConfiguration.builder()
                .host(target.host)
                .port(target.port)
                .database(target.database)
                .username(target.username)
                .applicationName(applicationName)
                .preparedStatementCacheQueries(config.statementCacheSize())
                .connectTimeout(Duration.ofSeconds(5))
                .tcpKeepAlive(true)
                .options(java.util.Map.of("jit", config.jit() ? "on" : "off"))
                .sslMode(target.sslMode);
        target.sslRootCert.ifPresent(builder::sslRootCert);
        target.password.ifPresent(builder::password);
        connectionFactory = new PostgresqlConnectionFactory(builder.build());
        int max = Math.max(2, config.pool().maxSize());
        int initial = Math.min(config.pool().initialSize(), max - 1);
        pool = new ConnectionPool(ConnectionPoolConfiguration.builder(connectionFactory)
                .name(applicationName)
                .initialSize(initial)
                .maxSize(max)
                .minIdle(Math.min(1, initial))
                .maxAcquireTime(config.pool().acquireTimeout())
                .maxCreateConnectionTime(Duration.ofSeconds(5))
                .maxIdleTime(config.pool().maxIdleTime())
                // LOCAL validation (is the socket open?) instead of a query: a round trip per acquire
                // cost every group-commit batch a statement (BENCHMARKS.md). A connection that died
                // with its server fails its call once (UNAVAILABLE) and leaves the pool.
                .validationDepth(io.r2dbc.spi.ValidationDepth.LOCAL)
                .build());
        LOG.infof("database %s ready (pool %d..%d)", description, initial, max);
    }

    /** Where the database is, for logs and health ({@code host:port/database}, no credentials). */
    public String description() {
        return description;
    }

    /** The pool; prefer {@link #inTransaction} and {@link #withConnection}, which always release. */
    public ConnectionPool pool() {
        return pool;
    }

    /** A connection outside the pool, for LISTEN; the caller closes it. */
    public Mono<PostgresqlConnection> dedicatedConnection() {
        return connectionFactory.create();
    }

    /** Runs {@code work} on a pooled connection, released on every path. */
    public <T> Flux<T> withConnection(Function<Connection, ? extends org.reactivestreams.Publisher<T>> work) {
        return Flux.usingWhen(pool.create(), work, Connection::close);
    }

    /**
     * Runs {@code work} in one transaction: committed when it completes, rolled back when it
     * fails or is cancelled; the connection goes back to the pool on every path. The result is
     * emitted only after the commit succeeded.
     */
    public <T> Mono<T> inTransaction(Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(pool.create(),
                connection -> Mono.from(connection.beginTransaction())
                        .then(Mono.defer(() -> work.apply(connection)).map(Optional::of).defaultIfEmpty(Optional.empty()))
                        .flatMap(result -> Mono.from(connection.commitTransaction()).thenReturn(result)),
                Connection::close,
                (connection, error) -> rollbackAndClose(connection),
                Database::rollbackAndClose)
                .flatMap(result -> result.map(Mono::just).orElseGet(Mono::empty));
    }

    private static Mono<Void> rollbackAndClose(Connection connection) {
        return Mono.from(connection.rollbackTransaction())
                .onErrorResume(e -> Mono.empty())
                .then(Mono.from(connection.close()))
                .onErrorResume(e -> Mono.empty());
    }

    /** True when a query answers within the timeout. */
    public Mono<Boolean> ping(Duration timeout) {
        return withConnection(c -> Flux.from(c.createStatement("SELECT 1").execute())
                        .flatMap(r -> r.map((row, meta) -> row.get(0, Integer.class))))
                .next()
                .map(v -> v == 1)
                .timeout(timeout)
                .onErrorReturn(false);
    }

    void onStop(@Observes @Priority(10) ShutdownEvent event) {
        try {
            pool.disposeLater().block(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            LOG.warnf("pool did not close cleanly: %s", e.toString());
        }
        closeEmbedded();
    }

    private void closeEmbedded() {
        if (embedded != null) {
            embedded.close();
        }
    }

    /**
     * Where the database is. The URL may carry {@code sslmode} (disable, allow, prefer, require,
     * verify-ca, verify-full: PostgreSQL's meanings) and {@code sslrootcert} (a CA file for the
     * verify modes; without it the JVM's trust store is used).
     */
    private record Target(String host, int port, String database, String username, Optional<String> password,
                          io.r2dbc.postgresql.client.SSLMode sslMode, Optional<String> sslRootCert) {
        static Target parse(String url, String username, Optional<String> password) {
            String normalized = url.startsWith("r2dbc:") ? url.substring(6) : url;
            normalized = normalized.startsWith("jdbc:") ? normalized.substring(5) : normalized;
            URI uri = URI.create(normalized);
            if (!"postgresql".equals(uri.getScheme()) || uri.getHost() == null || uri.getPath() == null || uri.getPath().length() < 2) {
                throw new IllegalArgumentException("relance.db.url must look like postgresql://host:5432/database");
            }
            io.r2dbc.postgresql.client.SSLMode mode = io.r2dbc.postgresql.client.SSLMode.DISABLE;
            Optional<String> rootCert = Optional.empty();
            if (uri.getRawQuery() != null) {
                for (String pair : uri.getRawQuery().split("&")) {
                    String[] kv = pair.split("=", 2);
                    String value = kv.length == 2 ? java.net.URLDecoder.decode(kv[1], java.nio.charset.StandardCharsets.UTF_8) : "";
                    switch (kv[0]) {
                        case "sslmode" -> mode = io.r2dbc.postgresql.client.SSLMode.fromValue(value);
                        case "sslrootcert" -> rootCert = Optional.of(value);
                        default -> throw new IllegalArgumentException("relance.db.url: unknown parameter " + kv[0]
                                + " (sslmode and sslrootcert are understood)");
                    }
                }
            }
            return new Target(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 5432, uri.getPath().substring(1), username, password,
                    mode, rootCert);
        }

        /** The same target for Flyway (JDBC), with the same TLS settings. */
        String jdbcUrl() {
            String base = "jdbc:postgresql://" + host + ":" + port + "/" + database;
            if (sslMode == io.r2dbc.postgresql.client.SSLMode.DISABLE) {
                return base;
            }
            return base + "?sslmode=" + sslMode.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')
                    + sslRootCert.map(c -> "&sslrootcert=" + java.net.URLEncoder.encode(c, java.nio.charset.StandardCharsets.UTF_8)).orElse("");
        }
    }
}
