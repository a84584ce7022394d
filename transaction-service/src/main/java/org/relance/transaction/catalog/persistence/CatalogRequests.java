package org.relance.transaction.catalog.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.r2dbc.spi.Connection;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;
import org.relance.kit.db.Database;
import org.relance.kit.db.Sql;
import org.relance.kit.error.AlreadyExistsException;
import org.relance.kit.time.Instants;
import reactor.core.publisher.Mono;

/**
 * Request ids already applied, with their answer, so that a retried upsert or import is applied
 * once and answered as the first time. A request id is taken per store; reusing it with other
 * content is ALREADY_EXISTS.
 */
@Singleton
public class CatalogRequests {
    private final Database database;
    private final ObjectMapper json;
    private final Clock clock;

    public CatalogRequests(Database database, ObjectMapper json, Clock clock) {
        this.database = database;
        this.json = json;
        this.clock = clock;
    }

    /**
     * In the caller's transaction: the stored answer of this request when it was applied before,
     * otherwise the answer of {@code apply}, stored with the request id. Concurrent repeats wait for
     * each other (a transaction-level advisory lock on the request id).
     */
    public <T> Mono<T> once(Connection c, String storeId, String requestId, byte[] fingerprint, Class<T> type,
                            Supplier<Mono<T>> apply) {
        return Sql.query(c, "SELECT pg_advisory_xact_lock($1)", row -> 1, Sql.lockKey("catalog-request/" + storeId + "/" + requestId))
                .then(previous(c, storeId, requestId, fingerprint, type))
                .flatMap(found -> found.isPresent() ? Mono.just(found.get())
                        : apply.get().flatMap(answer -> remember(c, storeId, requestId, fingerprint, answer).thenReturn(answer)));
    }

    /** The stored answer of this request, if it was applied; ALREADY_EXISTS when the id was used for other content. */
    public <T> Mono<Optional<T>> previous(Connection c, String storeId, String requestId, byte[] fingerprint, Class<T> type) {
        return Sql.query(c, "SELECT fingerprint, response::text AS response FROM catalog_request WHERE store_id = $1 AND request_id = $2",
                        row -> {
                            if (!Arrays.equals(row.get("fingerprint", byte[].class), fingerprint)) {
                                throw new AlreadyExistsException("request_id " + requestId + " was already used with other content");
                            }
                            return decode(row.get("response", String.class), type);
                        }, storeId, requestId)
                .next()
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty());
    }

    /** {@link #previous} on a connection of its own. */
    public <T> Mono<Optional<T>> previous(String storeId, String requestId, byte[] fingerprint, Class<T> type) {
        return database.withConnection(c -> previous(c, storeId, requestId, fingerprint, type)).next();
    }

    /** Stores the answer of a request; a request id already stored keeps its first answer. */
    public Mono<Void> remember(Connection c, String storeId, String requestId, byte[] fingerprint, Object answer) {
        return Sql.update(c, "INSERT INTO catalog_request (store_id, request_id, fingerprint, response, create_time) "
                        + "VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (store_id, request_id) DO NOTHING",
                storeId, requestId, fingerprint, encode(answer), Instants.now(clock)).then();
    }

    /** {@link #remember} in a transaction of its own. */
    public Mono<Void> remember(String storeId, String requestId, byte[] fingerprint, Object answer) {
        return database.inTransaction(c -> remember(c, storeId, requestId, fingerprint, answer));
    }

    /** Forgets request ids applied before {@code cutoff}; returns how many. */
    public Mono<Long> purge(Instant cutoff) {
        return database.withConnection(c -> Sql.update(c, "DELETE FROM catalog_request WHERE create_time < $1", cutoff)).next();
    }

    private String encode(Object answer) {
        try {
            return json.writeValueAsString(answer);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + answer.getClass().getSimpleName(), e);
        }
    }

    private <T> T decode(String text, Class<T> type) {
        try {
            return json.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot decode a stored " + type.getSimpleName(), e);
        }
    }
}
