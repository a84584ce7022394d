package org.relance.cart.persistence;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;
import org.relance.cart.domain.Cart;
import org.relance.cart.domain.CartEvent;
import org.relance.cart.domain.CartEventType;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * The cart event log: appended in the writer's transaction, read as a resumable stream.
 * Sequence numbers come from one counter row updated in the appending transaction, so they
 * are consecutive and committed in order; a reader that saw sequence N has seen all below N.
 * New events wake readers through LISTEN/NOTIFY on one dedicated connection.
 */
@Singleton
public class CartEventLog {
    static final String CHANNEL = "cart_event";
    private static final Logger LOG = Logger.getLogger(CartEventLog.class);
    private static final int PAGE = 256;
    private static final Duration IDLE_RECHECK = Duration.ofSeconds(30);

    private static final String APPEND = """
            WITH counter AS (
                UPDATE event_counter SET value = value + $1 WHERE name = 'cart_event' RETURNING value - $1 AS base
            ), inserted AS (
                INSERT INTO cart_event (sequence, event_type, occur_time, store_id, cart_id, cart)
                SELECT counter.base + e.ord, e.event_type, e.occur_time, e.store_id, e.cart_id, e.cart
                FROM counter, unnest($2::smallint[], $3::timestamptz[], $4::text[], $5::text[], $6::jsonb[])
                     WITH ORDINALITY AS e(event_type, occur_time, store_id, cart_id, cart, ord)
                RETURNING sequence
            )
            SELECT max(sequence) AS last FROM inserted, pg_notify('cart_event', '')
            """;

    private final Database database;
    private final AtomicLong head = new AtomicLong(-1);
    private final Queue<CompletableFuture<Void>> waiters = new ConcurrentLinkedQueue<>();
    private volatile Disposable listener;
    private volatile boolean stopping;

    public CartEventLog(Database database) {
        this.database = database;
    }

    /** An event to append: its type and the cart after the change. */
    public record NewEvent(CartEventType type, Instant occurTime, Cart cart) {
    }

    /** Appends events in the caller's transaction; returns the last sequence (0 when none). */
    static Mono<Long> append(Connection c, List<NewEvent> events) {
        if (events.isEmpty()) {
            return Mono.just(0L);
        }
        int n = events.size();
        String[] types = new String[n];
        String[] times = new String[n];
        String[] stores = new String[n];
        String[] carts = new String[n];
        String[] snapshots = new String[n];
        for (int i = 0; i < n; i++) {
            NewEvent e = events.get(i);
            types[i] = Integer.toString(e.type().code());
            times[i] = e.occurTime().toString();
            stores[i] = e.cart().storeId();
            carts[i] = e.cart().cartId();
            snapshots[i] = CartJson.snapshot(e.cart());
        }
        return Sql.query(c, APPEND, row -> row.get("last", Long.class), (long) n, types, times, stores, carts, snapshots)
                .next().defaultIfEmpty(0L);
    }

    void start(@Observes StartupEvent event) {
        listen();
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        Disposable l = listener;
        if (l != null) {
            l.dispose();
        }
        wakeAll();
    }

    private void listen() {
        listener = Flux.usingWhen(database.dedicatedConnection(),
                        connection -> connection.createStatement("LISTEN " + CHANNEL).execute()
                                .flatMap(r -> r.getRowsUpdated())
                                .thenMany(refreshHead().flux())
                                .thenMany(connection.getNotifications()),
                        PostgresqlConnection::close)
                .doOnNext(n -> refreshHead().subscribe())
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(5))
                        .filter(e -> !stopping)
                        .doBeforeRetry(s -> LOG.warnf("event listener lost its connection, reconnecting: %s", s.failure().toString())))
                .subscribe(n -> { }, e -> LOG.error("event listener stopped", e));
    }

    private Mono<Long> refreshHead() {
        return database.withConnection(c -> Sql.query(c, "SELECT value FROM event_counter WHERE name = 'cart_event'",
                        row -> row.get("value", Long.class)))
                .next()
                .doOnNext(value -> {
                    head.accumulateAndGet(value, Math::max);
                    wakeAll();
                })
                .onErrorResume(e -> Mono.empty());
    }

    private void wakeAll() {
        for (CompletableFuture<Void> w = waiters.poll(); w != null; w = waiters.poll()) {
            w.complete(null);
        }
    }

    /** Completes when an event after {@code cursor} may be committed (or after a while, to re-check). */
    private Uni<Void> awaitAfter(long cursor) {
        if (head.get() > cursor || head.get() < 0) {
            return Uni.createFrom().voidItem();
        }
        CompletableFuture<Void> waiter = new CompletableFuture<>();
        waiters.add(waiter);
        if (head.get() > cursor || stopping) {
            waiter.complete(null);
        }
        return Uni.createFrom().completionStage(waiter)
                .ifNoItem().after(IDLE_RECHECK).recoverWithItem((Void) null)
                .onTermination().invoke(() -> waiters.remove(waiter));
    }

    /**
     * Every event after {@code afterSequence} (optionally of one store), then new ones as they
     * commit, a page at a time as the subscriber asks for more. Never completes by itself.
     */
    public Multi<CartEvent> watch(long afterSequence, String storeId) {
        AtomicLong cursor = new AtomicLong(afterSequence);
        return Multi.createBy().repeating()
                .uni(() -> awaitAfter(cursor.get()).chain(() -> Reactive.uni(page(cursor, storeId))))
                .whilst(page -> !stopping)
                .onItem().transformToIterable(page -> page);
    }

    private Mono<List<CartEvent>> page(AtomicLong cursor, String storeId) {
        long from = cursor.get();
        long knownHead = head.get();
        String sql = "SELECT sequence, event_type, occur_time, cart::text AS cart FROM cart_event WHERE sequence > $1"
                + (storeId == null ? "" : " AND store_id = $3") + " AND sequence <= $2 ORDER BY sequence LIMIT " + PAGE;
        long upper = knownHead < 0 ? Long.MAX_VALUE : knownHead;
        Object[] args = storeId == null ? new Object[] {from, upper} : new Object[] {from, upper, storeId};
        return database.withConnection(c -> Sql.query(c, sql, row -> new CartEvent(row.get("sequence", Long.class),
                        CartEventType.ofCode(row.get("event_type", Short.class)), Sql.instant(row, "occur_time"),
                        CartJson.cart(row.get("cart", String.class))), args))
                .collectList()
                .map(events -> {
                    if (events.size() == PAGE) {
                        cursor.set(events.get(events.size() - 1).sequence());
                    } else if (knownHead >= 0) {
                        // Everything up to the known head is committed and was read.
                        cursor.set(Math.max(from, knownHead));
                    } else if (!events.isEmpty()) {
                        cursor.set(events.get(events.size() - 1).sequence());
                    }
                    return events;
                });
    }

    /** The last sequence committed (for tests and metrics). */
    public Uni<Long> lastSequence() {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                "SELECT value FROM event_counter WHERE name = 'cart_event'", row -> row.get("value", Long.class))).next());
    }
}
