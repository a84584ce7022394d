package org.relance.segment.triggers;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.Arrays;
import java.util.List;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.error.AlreadyExistsException;
import org.relance.kit.error.NotFoundException;
import reactor.core.publisher.Mono;

/** Triggers in {@code cart_trigger}, and what pausing or deleting one does to its pending notifications. */
@Singleton
public class TriggerRepository {
    static final String COLUMNS = "trigger_id, store_id, display_name, state, product_ids, product_name_contains, category_ids, "
            + "min_value, max_value, value_currency, wait_seconds, follow_up_seconds, condition, quiet_start, quiet_end, quiet_policy, "
            + "webhook_url, secret_sealed, secret_ref, timeout_millis, active_since, create_time, update_time";
    /** notification.state values. */
    public static final short PENDING = 1;
    public static final short SENT = 2;
    public static final short SKIPPED = 3;
    public static final short FAILED = 4;

    private final Database database;

    public TriggerRepository(Database database) {
        this.database = database;
    }

    static Trigger map(Readable row) {
        String quietStart = row.get("quiet_start", String.class);
        QuietHours quiet = quietStart == null ? null : new QuietHours(LocalTime.parse(quietStart),
                LocalTime.parse(row.get("quiet_end", String.class)), row.get("quiet_policy", Short.class) == 2);
        Long[] followUps = row.get("follow_up_seconds", Long[].class);
        return new Trigger(row.get("trigger_id", String.class), row.get("store_id", String.class), row.get("display_name", String.class),
                row.get("state", Short.class) == 1, Arrays.asList(row.get("product_ids", String[].class)),
                row.get("product_name_contains", String.class), Arrays.asList(row.get("category_ids", String[].class)),
                row.get("min_value", BigDecimal.class), row.get("max_value", BigDecimal.class), row.get("value_currency", String.class),
                Duration.ofSeconds(row.get("wait_seconds", Long.class)),
                Arrays.stream(followUps).map(Duration::ofSeconds).toList(), row.get("condition", byte[].class), quiet,
                new Trigger.Webhook(row.get("webhook_url", String.class), row.get("secret_sealed", String.class),
                        row.get("secret_ref", String.class), Duration.ofMillis(row.get("timeout_millis", Integer.class))),
                Sql.instant(row, "active_since"), Sql.instant(row, "create_time"), Sql.instant(row, "update_time"));
    }

    private static Object[] values(Trigger t) {
        QuietHours q = t.quietHours();
        return new Object[] {t.triggerId(), t.storeId(), t.displayName(), (short) (t.active() ? 1 : 2), t.productIds().toArray(String[]::new),
                t.productNameContains(), t.categoryIds().toArray(String[]::new),
                t.minValue() == null ? new Sql.Null(BigDecimal.class) : t.minValue(),
                t.maxValue() == null ? new Sql.Null(BigDecimal.class) : t.maxValue(), t.valueCurrency(), t.waitTime().toSeconds(),
                t.followUpWaits().stream().map(Duration::toSeconds).toArray(Long[]::new),
                t.condition() == null ? new Sql.Null(byte[].class) : t.condition(),
                q == null ? null : q.start().toString(), q == null ? null : q.end().toString(),
                q == null ? new Sql.Null(Short.class) : (short) (q.skip() ? 2 : 1),
                t.webhook().url(), t.webhook().sealedSecret(), t.webhook().secretRef(), (int) t.webhook().timeout().toMillis(),
                t.activeSince(), t.createTime(), t.updateTime()};
    }

    /**
     * Stores a new trigger. A request id already applied answers the trigger it created; a trigger
     * id in use is ALREADY_EXISTS.
     */
    public Uni<Trigger> create(String requestId, Trigger t) {
        return Reactive.uni(database.inTransaction(c -> Sql.query(c, "INSERT INTO trigger_request (request_id, kind, subject_id, create_time) "
                                + "VALUES ($1, 'create', $2, $3) ON CONFLICT DO NOTHING RETURNING request_id", row -> true, requestId,
                        t.triggerId(), t.createTime()).next()
                .flatMap(first -> Sql.query(c, "INSERT INTO cart_trigger (" + COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, "
                                + "$9::numeric, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) ON CONFLICT DO NOTHING "
                                + "RETURNING " + COLUMNS, TriggerRepository::map, values(t)).next()
                        .switchIfEmpty(Mono.error(() -> new AlreadyExistsException("trigger " + t.triggerId() + " already exists"))))
                .switchIfEmpty(Mono.defer(() -> Sql.query(c, "SELECT t.* FROM trigger_request r JOIN cart_trigger t ON t.trigger_id = r.subject_id "
                        + "WHERE r.request_id = $1", TriggerRepository::map, requestId).next()
                        .switchIfEmpty(Mono.error(() -> new NotFoundException("the trigger created by request " + requestId
                                + " was deleted")))))));
    }

    /**
     * Replaces a trigger's settings (not its state, active_since or create_time). The statement
     * takes the same 23 parameters as the insert; those it does not change are only checked
     * for presence, since every bound parameter must appear in the statement.
     */
    public Uni<Trigger> update(Trigger t) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "UPDATE cart_trigger SET store_id = $2, display_name = $3, "
                        + "product_ids = $5, product_name_contains = $6, category_ids = $7, min_value = $8::numeric, max_value = $9::numeric, "
                        + "value_currency = $10, wait_seconds = $11, follow_up_seconds = $12, condition = $13, quiet_start = $14, quiet_end = $15, "
                        + "quiet_policy = $16, webhook_url = $17, secret_sealed = $18, secret_ref = $19, timeout_millis = $20, update_time = $23 "
                        + "WHERE trigger_id = $1 AND $4::smallint IS NOT NULL AND $21::timestamptz IS NOT NULL AND $22::timestamptz IS NOT NULL "
                        + "RETURNING " + COLUMNS, TriggerRepository::map, values(t))).next()
                .switchIfEmpty(Mono.error(() -> new NotFoundException("trigger " + t.triggerId() + " does not exist"))));
    }

    public Uni<Trigger> get(String triggerId) {
        return Reactive.uni(find(triggerId).switchIfEmpty(Mono.error(() -> new NotFoundException("trigger " + triggerId + " does not exist"))));
    }

    /** The trigger, or empty. */
    public Mono<Trigger> find(String triggerId) {
        return database.withConnection(c -> Sql.query(c, "SELECT " + COLUMNS + " FROM cart_trigger WHERE trigger_id = $1",
                TriggerRepository::map, triggerId)).next();
    }

    /** Triggers after {@code afterId}, by id; {@code storeId} empty for all, {@code state} 0 for any. */
    public Uni<List<Trigger>> list(String storeId, int state, String afterId, int limit) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT " + COLUMNS + " FROM cart_trigger WHERE trigger_id > $1 "
                        + "AND ($2 = '' OR store_id IN ('', $2)) AND ($3 = 0 OR state = $3) ORDER BY trigger_id LIMIT " + limit,
                TriggerRepository::map, afterId, storeId, (short) state)).collectList());
    }

    /** Active triggers. */
    public Uni<List<Trigger>> active() {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT " + COLUMNS + " FROM cart_trigger WHERE state = 1 ORDER BY trigger_id",
                TriggerRepository::map)).collectList());
    }

    /** Deletes a trigger; its pending notifications not being delivered right now are skipped. */
    public Uni<Long> delete(String triggerId, Instant now) {
        return Reactive.uni(database.inTransaction(c -> Sql.update(c, "DELETE FROM cart_trigger WHERE trigger_id = $1", triggerId)
                .flatMap(n -> n == 0 ? Mono.error(new NotFoundException("trigger " + triggerId + " does not exist"))
                        : skipPending(c, triggerId, SkipReason.TRIGGER_DELETED, now))));
    }

    /** Pauses a trigger and skips its pending notifications; returns it and the count skipped. */
    public Uni<java.util.Map.Entry<Trigger, Long>> pause(String triggerId, Instant now) {
        return Reactive.uni(database.inTransaction(c -> Sql.query(c, "UPDATE cart_trigger SET state = 2, update_time = CASE WHEN state = 2 "
                                + "THEN update_time ELSE $2 END WHERE trigger_id = $1 RETURNING " + COLUMNS, TriggerRepository::map, triggerId, now).next()
                .switchIfEmpty(Mono.error(() -> new NotFoundException("trigger " + triggerId + " does not exist")))
                .flatMap(t -> skipPending(c, triggerId, SkipReason.TRIGGER_PAUSED, now).map(n -> java.util.Map.entry(t, n)))));
    }

    /** Resumes a trigger: only carts whose wait ends from now on are notified. */
    public Uni<Trigger> resume(String triggerId, Instant now) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "UPDATE cart_trigger SET state = 1, "
                        + "active_since = CASE WHEN state = 1 THEN active_since ELSE $2 END, "
                        + "update_time = CASE WHEN state = 1 THEN update_time ELSE $2 END WHERE trigger_id = $1 RETURNING " + COLUMNS,
                TriggerRepository::map, triggerId, now)).next()
                .switchIfEmpty(Mono.error(() -> new NotFoundException("trigger " + triggerId + " does not exist"))));
    }

    /**
     * Skips the trigger's pending notifications, except those a replica is delivering at this
     * moment (their lease runs): those finish, since the receiver may already have them.
     */
    private static Mono<Long> skipPending(Connection c, String triggerId, SkipReason reason, Instant now) {
        return Sql.update(c, "UPDATE notification SET state = 3, skip_reason = $2, complete_time = $3, next_attempt_time = NULL "
                + "WHERE trigger_id = $1 AND state = 1 AND (lease_until IS NULL OR lease_until < $3)", triggerId, (short) reason.code(), now);
    }
}
