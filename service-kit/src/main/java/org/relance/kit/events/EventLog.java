package org.relance.kit.events;

import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jboss.logging.Logger;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import static java.util.Objects.requireNonNull;

/**
 * A service's event log (outbox): appended in the writer's transaction, read as a resumable
 * stream. The log is a table {@code (sequence, event_type, occur_time, store_id, <key>, <payload jsonb>)}
 * and a row of {@code event_counter}. Sequence numbers come from that row, updated in the
 * appending transaction: they are consecutive and committed in order, so a reader that saw N has
 * seen everything below N. New events wake readers through LISTEN/NOTIFY on one dedicated
 * connection, which reconnects by itself.
 */
public final class EventLog {
    private static final Logger LOG = Logger.getLogger(EventLog.class);
    private static final int PAGE = 256;
    private static final Duration IDLE_RECHECK = Duration.ofSeconds(30);

    /** An event to append: its type code, time, store, key and JSON payload. */
    public record NewEvent(int type, Instant occurTime, String storeId, String key, String payload) {
    }

    /** A stored event as read back. */
    public record StoredEvent(long sequence, int type, Instant occurTime, String payload) {
    }

    private final Database database;
    private final String table;
    private final String keyColumn;
    private final String payloadColumn;
    private final String counter;
    private final String appendSql;
    private final AtomicLong head = new AtomicLong(-1);
    private final Queue<CompletableFuture<Void>> waiters = new ConcurrentLinkedQueue<>();
    private volatile Disposable listener;
    private volatile boolean stopping;

    /**
     * @param table the log table; also the NOTIFY channel and the {@code event_counter} row name
     */
    public EventLog(Database database, String table, String keyColumn, String payloadColumn) {
        this.database = requireNonNull(database, "database");
        this.table = requireNonNull(table, "table");
        this.keyColumn = requireNonNull(keyColumn, "keyColumn");
        this.payloadColumn = requireNonNull(payloadColumn, "payloadColumn");
        this.counter = table;
        this.appendSql = """
                WITH counter AS (
                    UPDATE event_counter SET value = value + $1 WHERE name = '%1$s' RETURNING value - $1 AS base
                ), inserted AS (
                    INSERT INTO %1$s (sequence, event_type, occur_time, store_id, %2$s, %3$s)
                    SELECT counter.base + e.ord, e.event_type, e.occur_time, e.store_id, e.k, e.payload
                    FROM counter, unnest($2::smallint[], $3::timestamptz[], $4::text[], $5::text[], $6::jsonb[])
                         WITH ORDINALITY AS e(event_type, occur_time, store_id, k, payload, ord)
                    RETURNING sequence
                )
                SELECT max(sequence) AS last FROM inserted, pg_notify('%1$s', '')
                """.formatted(table, keyColumn, payloadColumn);
    }

    /**
     * SQL fragments for events written by a single statement (sweeps, purges): the counter update
     * and the notification, given a CTE named {@code n} with a column {@code k} (how many events).
     * The CTE {@code counter} then offers {@code base}: number the events {@code base + row_number()}.
     */
    public String counterCte() {
        return "counter AS (UPDATE event_counter SET value = value + n.k FROM n WHERE name = '" + counter
                + "' AND n.k > 0 RETURNING value - n.k AS base)";
    }

    /** The notification to select in a statement that wrote events itself. */
    public String notifyCall() {
        return "pg_notify('" + table + "', '')";
    }

    /** Appends events in the caller's transaction; returns the last sequence (0 when none). */
    public Mono<Long> append(Connection c, List<NewEvent> events) {
        if (events.isEmpty()) {
            return Mono.just(0L);
        }
        int n = events.size();
        String[] types = new String[n];
        String[] times = new String[n];
        String[] stores = new String[n];
        String[] keys = new String[n];
        String[] payloads = new String[n];
        for (int i = 0; i < n; i++) {
            NewEvent e = events.get(i);
            types[i] = Integer.toString(e.type());
            times[i] = e.occurTime().toString();
            stores[i] = e.storeId();
            keys[i] = e.key();
            payloads[i] = e.payload();
        }
        return Sql.query(c, appendSql, row -> row.get("last", Long.class), (long) n, types, times, stores, keys, payloads)
                .next().defaultIfEmpty(0L);
    }

    /** Starts listening for new events (call once at start-up). */
    public void start() {
        listener = Flux.usingWhen(database.dedicatedConnection(),
                        connection -> connection.createStatement("LISTEN " + table).execute()
                                .flatMap(r -> r.getRowsUpdated())
                                .thenMany(refreshHead().flux())
                                .thenMany(connection.getNotifications()),
                        PostgresqlConnection::close)
                .doOnNext(n -> refreshHead().subscribe())
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(5))
                        .filter(e -> !stopping)
                        .doBeforeRetry(s -> LOG.warnf("%s listener lost its connection, reconnecting: %s", table,
                                s.failure().toString())))
                .subscribe(n -> { }, e -> {
                    if (!stopping) {
                        LOG.error(table + " listener stopped", e);
                    }
                });
    }

    /** Stops listening and releases every waiting reader. */
    public void stop() {
        stopping = true;
        Disposable l = listener;
        if (l != null) {
            l.dispose();
        }
        wakeAll();
    }

    private Mono<Long> refreshHead() {
        return database.withConnection(c -> Sql.query(c, "SELECT value FROM event_counter WHERE name = $1",
                        row -> row.get("value", Long.class), counter))
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
     * Every event after {@code afterSequence} (of one store when {@code storeId} is not null),
     * then new ones as they commit, a page at a time as the subscriber asks. Never completes.
     */
    public <T> Multi<T> watch(long afterSequence, String storeId, Function<StoredEvent, T> mapper) {
        AtomicLong cursor = new AtomicLong(afterSequence);
        return Multi.createBy().repeating()
                .uni(() -> awaitAfter(cursor.get()).chain(() -> Reactive.uni(page(cursor, storeId))))
                .whilst(page -> !stopping)
                .onItem().transformToIterable(page -> page)
                .map(mapper);
    }

    private Mono<List<StoredEvent>> page(AtomicLong cursor, String storeId) {
        long from = cursor.get();
        long knownHead = head.get();
        long upper = knownHead < 0 ? Long.MAX_VALUE : knownHead;
        String sql = "SELECT sequence, event_type, occur_time, " + payloadColumn + "::text AS payload FROM " + table
                + " WHERE sequence > $1 AND sequence <= $2" + (storeId == null ? "" : " AND store_id = $3")
                + " ORDER BY sequence LIMIT " + PAGE;
        Object[] args = storeId == null ? new Object[] {from, upper} : new Object[] {from, upper, storeId};
        return database.withConnection(c -> Sql.query(c, sql, EventLog::stored, args))
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

    private static StoredEvent stored(Readable row) {
        return new StoredEvent(row.get("sequence", Long.class), row.get("event_type", Short.class),
                Sql.instant(row, "occur_time"), row.get("payload", String.class));
    }

    /** The last sequence committed. */
    public Uni<Long> lastSequence() {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                "SELECT value FROM event_counter WHERE name = $1", row -> row.get("value", Long.class), counter)).next());
    }

    /** The key column's name ({@code cart_id}, {@code transaction_id}). */
    public String keyColumn() {
        return keyColumn;
    }
}
