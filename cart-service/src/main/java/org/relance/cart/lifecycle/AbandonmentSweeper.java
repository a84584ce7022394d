package org.relance.cart.lifecycle;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import org.jboss.logging.Logger;
import org.relance.cart.config.CartConfig;
import org.relance.cart.domain.Store;
import org.relance.cart.persistence.CartRepository;
import org.relance.cart.persistence.StoreRepository;
import org.relance.kit.db.Database;
import org.relance.kit.time.Instants;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import reactor.core.publisher.Mono;

/**
 * Marks carts abandoned once they stayed unchanged for their store's delay: per store, one
 * indexed UPDATE per chunk that also writes the ABANDONED events. With several replicas, the
 * one holding the sweeper's advisory lock sweeps; the others skip that round.
 */
@Singleton
public class AbandonmentSweeper {
    private static final Logger LOG = Logger.getLogger(AbandonmentSweeper.class);
    private static final long LOCK = Sql.lockKey("relance.cart.abandonment-sweeper");

    private final Database database;
    private final StoreRepository stores;
    private final CartRepository carts;
    private final Clock clock;
    private final int chunk;
    private final Counter abandoned;

    public AbandonmentSweeper(Database database, StoreRepository stores, CartRepository carts, Clock clock,
                              CartConfig config, MeterRegistry registry) {
        this.database = database;
        this.stores = stores;
        this.carts = carts;
        this.clock = clock;
        this.chunk = config.sweepChunk();
        this.abandoned = Counter.builder("relance.cart.abandoned").description("Carts marked abandoned").register(registry);
    }

    @Scheduled(every = "${relance.cart.sweep-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            identity = "abandonment-sweeper")
    Uni<Void> scheduled() {
        return sweep().onFailure().invoke(e -> LOG.warnf("sweep failed, next round retries: %s", e.toString()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** Runs one sweep over every store; returns how many carts were marked abandoned. */
    public Uni<Long> sweep() {
        Instant now = Instants.now(clock);
        return Reactive.uni(stores.all()
                .concatMap(store -> sweepStore(store, now))
                .reduce(0L, Long::sum)
                .doOnNext(n -> {
                    if (n > 0) {
                        abandoned.increment(n);
                        LOG.infof("marked %d carts abandoned", n);
                    }
                }));
    }

    private Mono<Long> sweepStore(Store store, Instant now) {
        Instant cutoff = now.minus(store.abandonmentDelay());
        return chunk(store, cutoff, now)
                .expand(marked -> marked >= chunk ? chunk(store, cutoff, now) : Mono.empty())
                .reduce(0L, Long::sum);
    }

    private Mono<Long> chunk(Store store, Instant cutoff, Instant now) {
        return database.inTransaction(c -> Sql.query(c, "SELECT pg_try_advisory_xact_lock($1) AS mine",
                        row -> row.get("mine", Boolean.class), LOCK).next()
                .flatMap(mine -> mine ? carts.sweep(c, store.storeId(), cutoff, now, chunk) : Mono.just(0L)));
    }

}
