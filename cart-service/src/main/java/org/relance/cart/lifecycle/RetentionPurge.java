package org.relance.cart.lifecycle;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import org.jboss.logging.Logger;
import org.relance.cart.config.CartConfig;
import org.relance.cart.domain.Store;
import org.relance.cart.persistence.CartRepository;
import org.relance.cart.persistence.PageViewRepository;
import org.relance.cart.persistence.StoreRepository;
import org.relance.kit.db.Database;
import org.relance.kit.time.Instants;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import reactor.core.publisher.Mono;

/**
 * Deletes cart details once the store's retention (15 days by default, seed 000) has passed
 * since their last change, with a PURGED event each; old events and submit ids go too.
 */
@Singleton
public class RetentionPurge {
    private static final Logger LOG = Logger.getLogger(RetentionPurge.class);
    private static final long LOCK = Sql.lockKey("relance.cart.retention-purge");

    private final Database database;
    private final StoreRepository stores;
    private final CartRepository carts;
    private final Clock clock;
    private final int chunk;

    private final PageViewRepository pageViews;

    public RetentionPurge(Database database, StoreRepository stores, CartRepository carts, PageViewRepository pageViews,
                          Clock clock, CartConfig config) {
        this.database = database;
        this.pageViews = pageViews;
        this.stores = stores;
        this.carts = carts;
        this.clock = clock;
        this.chunk = config.purgeChunk();
    }

    @Scheduled(every = "${relance.cart.purge-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            identity = "retention-purge")
    Uni<Void> scheduled() {
        return purge().onFailure().invoke(e -> LOG.warnf("purge failed, next round retries: %s", e.toString()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** Purges every store once; returns how many carts were deleted. */
    public Uni<Long> purge() {
        Instant now = Instants.now(clock);
        return Reactive.uni(stores.all()
                .concatMap(store -> purgeStore(store, now))
                .reduce(0L, Long::sum)
                .doOnNext(n -> {
                    if (n > 0) {
                        LOG.infof("purged %d carts past retention", n);
                    }
                }));
    }

    private Mono<Long> purgeStore(Store store, Instant now) {
        Instant cutoff = now.minus(store.cartRetention());
        Instant viewCutoff = now.minus(store.pageViewRetention());
        return chunk(store, cutoff, now)
                .expand(n -> n >= chunk ? chunk(store, cutoff, now) : Mono.empty())
                .reduce(0L, Long::sum)
                .flatMap(carts -> viewChunk(store, viewCutoff)
                        .expand(n -> n >= chunk ? viewChunk(store, viewCutoff) : Mono.empty())
                        .reduce(0L, Long::sum)
                        .doOnNext(n -> {
                            if (n > 0) {
                                LOG.infof("purged %d page events of store %s past retention", n, store.storeId());
                            }
                        })
                        .thenReturn(carts));
    }

    /** Raw page views past the store's page-view retention (the facts derived from them stay). */
    private Mono<Long> viewChunk(Store store, Instant cutoff) {
        return database.inTransaction(c -> Sql.query(c, "SELECT pg_try_advisory_xact_lock($1) AS mine",
                        row -> row.get("mine", Boolean.class), LOCK).next()
                .flatMap(mine -> mine ? pageViews.purge(c, store.storeId(), cutoff, chunk) : Mono.just(0L)));
    }

    private Mono<Long> chunk(Store store, Instant cutoff, Instant now) {
        return database.inTransaction(c -> Sql.query(c, "SELECT pg_try_advisory_xact_lock($1) AS mine",
                        row -> row.get("mine", Boolean.class), LOCK).next()
                .flatMap(mine -> mine ? carts.purge(c, store.storeId(), cutoff, now, chunk) : Mono.just(0L)));
    }
}
