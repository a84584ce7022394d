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
            target = new Target("localhost", embedded.port(), "postgres", "postgres", Optional.empty());
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
                .options(java.util.Map.of("jit", config.jit() ? "on" : "off"));
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

    private record Target(String host, int port, String database, String username, Optional<String> password) {
        static Target parse(String url, String username, Optional<String> password) {
            String normalized = url.startsWith("r2dbc:") ? url.substring(6) : url;
            normalized = normalized.startsWith("jdbc:") ? normalized.substring(5) : normalized;
            URI uri = URI.create(normalized);
            if (!"postgresql".equals(uri.getScheme()) || uri.getHost() == null || uri.getPath() == null || uri.getPath().length() < 2) {
                throw new IllegalArgumentException("relance.db.url must look like postgresql://host:5432/database");
            }
            return new Target(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 5432, uri.getPath().substring(1), username, password);
        }

        String jdbcUrl() {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }
    }
}
