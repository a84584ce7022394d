package org.relance.transaction.persistence;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;
import org.relance.api.cart.v1.GetStoreRequest;
import org.relance.api.cart.v1.MutinyStoreServiceGrpc;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.error.NotFoundException;
import org.relance.kit.time.Instants;

/**
 * The stores this service works for, read from the cart service (which owns them), cached for a
 * minute in memory and kept in {@code known_store}, so that purchases of a known store are
 * recorded even while the cart service is away.
 */
@Singleton
public class StoreDirectory {
    private static final Logger LOG = Logger.getLogger(StoreDirectory.class);
    private static final Duration FRESH = Duration.ofMinutes(1);

    /** What this service needs of a store. */
    public record KnownStore(String storeId, String currencyCode, String timeZone) {
    }

    private record Cached(KnownStore store, Instant readAt) {
    }

    private final MutinyStoreServiceGrpc.MutinyStoreServiceStub stores;
    private final Database database;
    private final Clock clock;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public StoreDirectory(@GrpcClient("cart") MutinyStoreServiceGrpc.MutinyStoreServiceStub stores, Database database, Clock clock) {
        this.stores = stores;
        this.database = database;
        this.clock = clock;
    }

    /** The store, or NOT_FOUND; UNAVAILABLE only when the cart service is away and the store was never seen. */
    public Uni<KnownStore> get(String storeId) {
        Cached cached = cache.get(storeId);
        Instant now = clock.instant();
        if (cached != null && cached.readAt().plus(FRESH).isAfter(now)) {
            return Uni.createFrom().item(cached.store());
        }
        return stores.withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS).getStore(GetStoreRequest.newBuilder().setStoreId(storeId).build())
                .map(r -> new KnownStore(r.getStore().getStoreId(), r.getStore().getCurrencyCode(), r.getStore().getTimeZone()))
                .call(this::remember)
                .onFailure(StatusRuntimeException.class).recoverWithUni(failure -> {
                    Status.Code code = ((StatusRuntimeException) failure).getStatus().getCode();
                    if (code == Status.Code.NOT_FOUND || code == Status.Code.INVALID_ARGUMENT) {
                        cache.remove(storeId);
                        return Uni.createFrom().failure(new NotFoundException("store " + storeId + " does not exist"));
                    }
                    LOG.warnf("cart service unreachable (%s): using the last known settings of store %s", code, storeId);
                    return stored(storeId).onItem().ifNull().failWith(() -> failure);
                });
    }

    private Uni<Void> remember(KnownStore store) {
        cache.put(store.storeId(), new Cached(store, clock.instant()));
        return Reactive.uni(database.withConnection(c -> Sql.update(c,
                        "INSERT INTO known_store (store_id, currency_code, time_zone, read_time) VALUES ($1, $2, $3, $4) "
                                + "ON CONFLICT (store_id) DO UPDATE SET currency_code = EXCLUDED.currency_code, "
                                + "time_zone = EXCLUDED.time_zone, read_time = EXCLUDED.read_time",
                        store.storeId(), store.currencyCode(), store.timeZone(), Instants.now(clock))).then());
    }

    private Uni<KnownStore> stored(String storeId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                "SELECT store_id, currency_code, time_zone FROM known_store WHERE store_id = $1",
                row -> new KnownStore(row.get("store_id", String.class), row.get("currency_code", String.class),
                        row.get("time_zone", String.class)), storeId)).next());
    }
}
