package org.relance.segment.notifications;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.r2dbc.spi.Readable;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.error.NotFoundException;
import org.relance.kit.error.RuleViolationException;
import org.relance.segment.triggers.CartFact;
import org.relance.segment.triggers.SkipReason;
import org.relance.segment.triggers.Trigger;
import org.relance.segment.triggers.TriggerChecks;
import reactor.core.publisher.Mono;

/**
 * Notifications: claims (one row per trigger, cart, episode and step, inserted with ON CONFLICT
 * DO NOTHING so that replicas never claim twice), leases (FOR UPDATE SKIP LOCKED, so that one
 * replica delivers each one at a time), outcomes with their attempts, and the reads of the
 * delivery log with attribution.
 */
@Singleton
public class NotificationRepository {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS = "n.notification_id, n.trigger_id, n.store_id, n.cart_id, n.contact_id, n.episode, n.step, "
            + "n.state, n.skip_reason, n.attempt_count, n.last_error, n.last_status_code, n.due_time, n.create_time, n.last_attempt_time, "
            + "n.next_attempt_time, n.complete_time, n.delivery_start, n.payload";
    /** The purchase of a sent notification's cart within the window after it, and before a later step of the same trigger. */
    private static final String ATTRIBUTION = " LEFT JOIN LATERAL (SELECT p.transaction_id, p.revenue, p.currency_code, p.occur_time "
            + "FROM purchase_fact p WHERE n.state = 2 AND p.store_id = n.store_id AND p.cart_id = n.cart_id "
            + "AND p.occur_time >= n.complete_time AND p.occur_time <= n.complete_time + $%d::float8 * interval '1 second' "
            + "AND NOT EXISTS (SELECT 1 FROM notification m WHERE m.trigger_id = n.trigger_id AND m.store_id = n.store_id "
            + "AND m.cart_id = n.cart_id AND m.state = 2 AND m.complete_time > n.complete_time AND m.complete_time <= p.occur_time) "
            + "ORDER BY p.occur_time LIMIT 1) a ON true";
    private static final String ATTRIBUTED = ", a.transaction_id AS a_transaction, a.revenue AS a_revenue, a.currency_code AS a_currency, "
            + "a.occur_time AS a_time";

    private final Database database;
    private final NotificationConfig config;

    public NotificationRepository(Database database, NotificationConfig config) {
        this.database = database;
        this.config = config;
    }

    private static Notification map(Readable row, boolean attributed) {
        return new Notification(row.get("notification_id", String.class), row.get("trigger_id", String.class),
                row.get("store_id", String.class), row.get("cart_id", String.class), row.get("contact_id", String.class),
                row.get("episode", Integer.class), row.get("step", Integer.class), row.get("state", Short.class),
                row.get("skip_reason", Short.class), row.get("attempt_count", Integer.class), row.get("last_error", String.class),
                row.get("last_status_code", Integer.class), Sql.instant(row, "due_time"), Sql.instant(row, "create_time"),
                Sql.instant(row, "last_attempt_time"), Sql.instant(row, "next_attempt_time"), Sql.instant(row, "complete_time"),
                Sql.instant(row, "delivery_start"), row.get("payload", byte[].class),
                attributed ? Sql.instant(row, "a_time") : null, attributed ? row.get("a_transaction", String.class) : null,
                attributed ? row.get("a_revenue", BigDecimal.class) : null, attributed ? row.get("a_currency", String.class) : null);
    }

    // ---- claims and leases (the dispatcher) ----

    /**
     * Claims the (cart, episode, step) of {@code t} whose due time has come since the trigger
     * became active and that are not claimed yet; returns how many were claimed.
     */
    public Uni<Long> claimDue(Trigger t, Instant now, int limit) {
        List<Object> params = new ArrayList<>();
        String trigger = TriggerSql.param(params, t.triggerId());
        String nowParam = TriggerSql.param(params, now);
        String offsets = TriggerSql.param(params, t.offsets().stream().map(Duration::toSeconds).toArray(Long[]::new));
        String since = TriggerSql.param(params, t.activeSince());
        String filters = TriggerSql.filters(t, params);
        String due = "(f.abandon_time + s.off::float8 * interval '1 second')";
        String sql = "INSERT INTO notification (notification_id, trigger_id, store_id, cart_id, contact_id, episode, step, state, due_time, "
                + "create_time, next_attempt_time) "
                + "SELECT 'n-' || gen_random_uuid(), " + trigger + ", f.store_id, f.cart_id, f.contact_id, f.episode, s.step::int, 1, " + due
                + ", " + nowParam + "::timestamptz, " + nowParam + "::timestamptz "
                + "FROM cart_fact f JOIN contact c ON c.contact_id = f.contact_id "
                + "CROSS JOIN LATERAL unnest(" + offsets + "::bigint[]) WITH ORDINALITY AS s(off, step) "
                + "WHERE " + filters + " AND " + due + " <= " + nowParam + "::timestamptz AND " + due + " >= " + since + "::timestamptz "
                + "AND NOT EXISTS (SELECT 1 FROM notification x WHERE x.trigger_id = " + trigger + " AND x.store_id = f.store_id "
                + "AND x.cart_id = f.cart_id AND x.episode = f.episode AND x.step = s.step) "
                + "AND (s.step = 1 OR EXISTS (SELECT 1 FROM notification p WHERE p.trigger_id = " + trigger + " AND p.store_id = f.store_id "
                + "AND p.cart_id = f.cart_id AND p.episode = f.episode AND p.step = s.step - 1 AND p.state = 2)) "
                + "ORDER BY " + due + " LIMIT " + limit + " ON CONFLICT DO NOTHING";
        return Reactive.uni(database.withConnection(c -> Sql.update(c, sql, params.toArray())).next());
    }

    /**
     * Skips pending notifications (not being delivered right now) whose cart was bought or
     * reopened, or whose contact bought in the store after the cart's last change (a transaction,
     * or a URL-tracked purchase: a thank-you page after the cart page): a purchase cancels pending
     * reminders at once, not at their next attempt.
     */
    public Uni<Long> cancelOvertaken(Instant now) {
        return Reactive.uni(database.withConnection(c -> Sql.update(c, "UPDATE notification n SET state = 3, "
                + "skip_reason = CASE WHEN f.state = 3 THEN 2 WHEN f.state = 1 OR f.episode <> n.episode THEN 3 ELSE 7 END, "
                + "complete_time = $1, next_attempt_time = NULL FROM cart_fact f "
                + "WHERE n.state = 1 AND (n.lease_until IS NULL OR n.lease_until < $1) AND f.store_id = n.store_id AND f.cart_id = n.cart_id "
                + "AND (f.state <> 2 OR f.episode <> n.episode OR EXISTS (SELECT 1 FROM purchase_fact p WHERE p.contact_id = n.contact_id "
                + "AND p.store_id = n.store_id AND p.occur_time > f.update_time) "
                + "OR EXISTS (SELECT 1 FROM cart_fact u WHERE u.contact_id = n.contact_id AND u.store_id = n.store_id AND u.source = 2 "
                + "AND u.convert_time > f.update_time))", now)).next());
    }

    /** Pending notifications whose next attempt is due (leased or not): the backlog a claim would add to. */
    public Uni<Long> countWaiting(Instant now) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT count(*) AS n FROM notification WHERE state = 1 "
                + "AND next_attempt_time <= $1", row -> row.get("n", Long.class), now)).next());
    }

    /** Leases up to {@code limit} pending notifications whose next attempt is due, for {@code lease}. */
    public Uni<List<Notification>> lease(String owner, Instant now, Duration lease, int limit) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "UPDATE notification n SET lease_owner = $1, lease_until = $2 "
                        + "FROM (SELECT notification_id FROM notification WHERE state = 1 AND next_attempt_time <= $3 "
                        + "AND (lease_until IS NULL OR lease_until < $3) ORDER BY next_attempt_time LIMIT $4 FOR UPDATE SKIP LOCKED) d "
                        + "WHERE n.notification_id = d.notification_id RETURNING " + COLUMNS, row -> map(row, false),
                owner, now.plus(lease), now, limit)).collectList());
    }

    /** Skips a leased notification. */
    public Uni<Void> skip(String id, String owner, SkipReason reason, Instant now) {
        return Reactive.uni(database.withConnection(c -> Sql.update(c, "UPDATE notification SET state = 3, skip_reason = $3, complete_time = $4, "
                + "next_attempt_time = NULL, lease_owner = NULL, lease_until = NULL WHERE notification_id = $1 AND lease_owner = $2 AND state = 1",
                id, owner, (short) reason.code(), now)).then()).replaceWithVoid();
    }

    /** Postpones a leased notification (quiet hours) without counting an attempt. */
    public Uni<Void> defer(String id, String owner, Instant until, String note) {
        return Reactive.uni(database.withConnection(c -> Sql.update(c, "UPDATE notification SET next_attempt_time = $3, last_error = $4, "
                + "lease_owner = NULL, lease_until = NULL WHERE notification_id = $1 AND lease_owner = $2 AND state = 1",
                id, owner, until, note)).then()).replaceWithVoid();
    }

    /** Stores the payload built for a leased notification (every attempt then sends the same). */
    public Uni<Void> savePayload(String id, String owner, byte[] payload) {
        return Reactive.uni(database.withConnection(c -> Sql.update(c, "UPDATE notification SET payload = $3 WHERE notification_id = $1 "
                + "AND lease_owner = $2 AND payload IS NULL", id, owner, payload)).then()).replaceWithVoid();
    }

    /**
     * Records an attempt and its consequence: {@code state} SENT, FAILED or PENDING (then
     * {@code nextAttempt} is set). The attempt joins the delivery log in the same transaction.
     */
    public Uni<Void> recordAttempt(Notification n, String owner, NotificationProvider.Delivery d, Instant attemptTime, short state,
                                   Instant nextAttempt, Instant now) {
        int attempt = n.attemptCount() + 1;
        return Reactive.uni(database.inTransaction(c -> Sql.update(c, "UPDATE notification SET state = $3, attempt_count = $4, last_error = $5, "
                                + "last_status_code = $6, last_attempt_time = $7, next_attempt_time = $8, "
                                + "complete_time = CASE WHEN $3 = 1 THEN NULL ELSE $9 END, delivery_start = COALESCE(delivery_start, $7), "
                                + "lease_owner = NULL, lease_until = NULL WHERE notification_id = $1 AND lease_owner = $2",
                        n.notificationId(), owner, state, attempt, d.error(), d.statusCode(), attemptTime,
                        nextAttempt == null ? new Sql.Null(java.time.OffsetDateTime.class) : nextAttempt, now)
                .flatMap(updated -> updated == 0 ? Mono.just(0L) : Sql.update(c, "INSERT INTO notification_attempt (notification_id, attempt, "
                                + "attempt_time, status_code, error, duration_millis) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        n.notificationId(), attempt, attemptTime, d.statusCode(), d.error(), (int) Math.min(Integer.MAX_VALUE, d.took().toMillis())))
                .thenReturn(true))).replaceWithVoid();
    }

    // ---- what the checks read ----

    /** The cart fact, or null. */
    public Uni<CartFact> cart(String storeId, String cartId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT store_id, cart_id, site_id, contact_id, state, status, total, "
                        + "currency_code, items::text AS items, episode, update_time, abandon_time, convert_time FROM cart_fact "
                        + "WHERE store_id = $1 AND cart_id = $2", NotificationRepository::cartFact, storeId, cartId)).next());
    }

    static CartFact cartFact(Readable row) {
        List<CartFact.Item> items = new ArrayList<>();
        try {
            for (JsonNode i : JSON.readTree(row.get("items", String.class))) {
                items.add(new CartFact.Item(i.path("product_id").asText(), i.path("product_name").asText(), i.path("category").asText(""),
                        i.path("category_id").asText(""), new BigDecimal(i.path("unit_price").asText("0")), i.path("quantity").asInt()));
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("unreadable cart items", e);
        }
        return new CartFact(row.get("store_id", String.class), row.get("cart_id", String.class), row.get("site_id", String.class),
                row.get("contact_id", String.class), row.get("state", Short.class), row.get("status", String.class),
                row.get("total", BigDecimal.class), row.get("currency_code", String.class), items, row.get("episode", Integer.class),
                Sql.instant(row, "update_time"), Sql.instant(row, "abandon_time"), Sql.instant(row, "convert_time"));
    }

    /** The contact as the send-time checks see it, for a cart of {@code storeId} last changed at {@code cartUpdate}. */
    public Uni<TriggerChecks.ContactState> contactState(String contactId, String storeId, Instant cartUpdate) {
        if (contactId == null) {
            return Uni.createFrom().item(new TriggerChecks.ContactState(false, false, false, false, false));
        }
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT k.contact_id IS NOT NULL AS known, "
                        + "coalesce(k.email, '') <> '' AS has_email, coalesce(k.consent_state, 0) = 1 AS consented, "
                        + "EXISTS (SELECT 1 FROM suppression s WHERE s.subject = 'contact:' || $1) AS suppressed, "
                        + "(EXISTS (SELECT 1 FROM purchase_fact p WHERE p.contact_id = $1 AND p.store_id = $2 AND p.occur_time > $3) "
                        + "OR EXISTS (SELECT 1 FROM cart_fact u WHERE u.contact_id = $1 AND u.store_id = $2 AND u.source = 2 "
                        + "AND u.convert_time > $3)) AS bought "
                        + "FROM (SELECT 1) x LEFT JOIN contact k ON k.contact_id = $1",
                row -> new TriggerChecks.ContactState(row.get("known", Boolean.class), row.get("has_email", Boolean.class),
                        row.get("consented", Boolean.class), row.get("suppressed", Boolean.class), row.get("bought", Boolean.class)),
                contactId, storeId, cartUpdate)).next());
    }

    /** The contact's e-mail and names (for the payload). */
    public record Recipient(String email, String firstName, String lastName) {
    }

    public Uni<Recipient> recipient(String contactId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT email, first_name, last_name FROM contact WHERE contact_id = $1",
                row -> new Recipient(row.get("email", String.class), row.get("first_name", String.class), row.get("last_name", String.class)),
                contactId)).next());
    }

    // ---- reads (the RPCs) ----

    /** Filters of the delivery log; empty strings and lists mean any. */
    public record Filter(String triggerId, String storeId, String cartId, String contactId, List<Integer> states) {
    }

    /** A page of the delivery log, newest first. */
    public Uni<List<Notification>> list(Filter f, int offset, int limit) {
        String sql = "SELECT " + COLUMNS + ATTRIBUTED + " FROM notification n" + String.format(ATTRIBUTION, 7)
                + " WHERE ($1 = '' OR n.trigger_id = $1) AND ($2 = '' OR n.store_id = $2) AND ($3 = '' OR n.cart_id = $3) "
                + "AND ($4 = '' OR n.contact_id = $4) AND (cardinality($5::smallint[]) = 0 OR n.state = ANY($5::smallint[])) "
                + "ORDER BY n.create_time DESC, n.notification_id DESC OFFSET $6 LIMIT " + limit;
        return Reactive.uni(database.withConnection(c -> Sql.query(c, sql, row -> map(row, true), f.triggerId(), f.storeId(), f.cartId(),
                f.contactId(), f.states().stream().map(Integer::shortValue).toArray(Short[]::new), (long) offset,
                config.attributionWindow().toSeconds())).collectList());
    }

    /** One notification (with attribution), or NOT_FOUND. */
    public Uni<Notification> get(String id) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT " + COLUMNS + ATTRIBUTED + " FROM notification n"
                                + String.format(ATTRIBUTION, 2) + " WHERE n.notification_id = $1", row -> map(row, true), id,
                        config.attributionWindow().toSeconds())).next()
                .switchIfEmpty(Mono.error(() -> new NotFoundException("notification " + id + " does not exist"))));
    }

    /** One delivery attempt as logged. */
    public record Attempt(int attempt, Instant time, int statusCode, String error, Duration took) {
    }

    /** The delivery log of these notifications: their attempts, oldest first. */
    public Uni<java.util.Map<String, List<Attempt>>> attempts(List<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(java.util.Map.of());
        }
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT notification_id, attempt, attempt_time, status_code, error, "
                        + "duration_millis FROM notification_attempt WHERE notification_id = ANY($1::text[]) ORDER BY attempt_time, attempt",
                row -> java.util.Map.entry(row.get("notification_id", String.class), new Attempt(row.get("attempt", Integer.class),
                        Sql.instant(row, "attempt_time"), row.get("status_code", Integer.class), row.get("error", String.class),
                        Duration.ofMillis(row.get("duration_millis", Integer.class)))), (Object) ids.toArray(String[]::new)))
                .collectList()
                .map(rows -> {
                    java.util.Map<String, List<Attempt>> byId = new java.util.HashMap<>();
                    rows.forEach(e -> byId.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
                    return byId;
                }));
    }

    /** A trigger's counts by state, recovered carts and revenue per currency. */
    public record Statistics(long pending, long sent, long skipped, long failed, long recovered, java.util.Map<String, BigDecimal> revenue) {
    }

    public Uni<Statistics> statistics(String triggerId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT count(*) FILTER (WHERE n.state = 1) AS pending, "
                        + "count(*) FILTER (WHERE n.state = 2) AS sent, count(*) FILTER (WHERE n.state = 3) AS skipped, "
                        + "count(*) FILTER (WHERE n.state = 4) AS failed FROM notification n WHERE n.trigger_id = $1",
                row -> new long[] {row.get("pending", Long.class), row.get("sent", Long.class), row.get("skipped", Long.class),
                        row.get("failed", Long.class)}, triggerId).next()
                .flatMap(counts -> Sql.query(c, "SELECT a.currency_code AS currency, count(DISTINCT (n.store_id, n.cart_id, a.transaction_id)) AS carts, "
                                + "sum(a.revenue) AS revenue FROM notification n" + String.format(ATTRIBUTION, 2)
                                + " WHERE n.trigger_id = $1 AND a.transaction_id IS NOT NULL GROUP BY a.currency_code ORDER BY 1",
                        row -> new Object[] {row.get("currency", String.class), row.get("carts", Long.class), row.get("revenue", BigDecimal.class)},
                        triggerId, config.attributionWindow().toSeconds()).collectList()
                        .map(rows -> {
                            java.util.Map<String, BigDecimal> revenue = new java.util.LinkedHashMap<>();
                            long carts = 0;
                            for (Object[] r : rows) {
                                revenue.put((String) r[0], (BigDecimal) r[2]);
                                carts += (Long) r[1];
                            }
                            return new Statistics(counts[0], counts[1], counts[2], counts[3], carts, revenue);
                        })))
                .next());
    }

    /** Notifications of one trigger, cart and episode, by step. */
    public Uni<List<Notification>> ofEpisode(String triggerId, String storeId, String cartId, int episode) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT " + COLUMNS + ATTRIBUTED + " FROM notification n"
                        + String.format(ATTRIBUTION, 5) + " WHERE n.trigger_id = $1 AND n.store_id = $2 AND n.cart_id = $3 AND n.episode = $4 "
                        + "ORDER BY n.step", row -> map(row, true), triggerId, storeId, cartId, episode,
                config.attributionWindow().toSeconds())).collectList());
    }

    /** A currently abandoned cart a trigger matches, with its contact's send-time state and whether it was notified. */
    public record Match(CartFact cart, TriggerChecks.ContactState contact, boolean notified) {
    }

    /** The currently abandoned carts {@code t} matches, by store and cart id (dry run). */
    public Uni<List<Match>> matches(Trigger t, int offset, int limit) {
        List<Object> params = new ArrayList<>();
        String trigger = TriggerSql.param(params, t.triggerId() == null ? "" : t.triggerId());
        String filters = TriggerSql.filters(t, params);
        String sql = "SELECT f.store_id, f.cart_id, f.site_id, f.contact_id, f.state, f.status, f.total, f.currency_code, f.items::text AS items, "
                + "f.episode, f.update_time, f.abandon_time, f.convert_time, coalesce(c.email, '') <> '' AS has_email, "
                + "c.consent_state = 1 AS consented, EXISTS (SELECT 1 FROM suppression s WHERE s.subject = 'contact:' || f.contact_id) AS suppressed, "
                + "(EXISTS (SELECT 1 FROM purchase_fact p WHERE p.contact_id = f.contact_id AND p.store_id = f.store_id "
                + "AND p.occur_time > f.update_time) OR EXISTS (SELECT 1 FROM cart_fact u WHERE u.contact_id = f.contact_id "
                + "AND u.store_id = f.store_id AND u.source = 2 AND u.convert_time > f.update_time)) AS bought, EXISTS (SELECT 1 FROM notification x WHERE x.trigger_id = " + trigger
                + " AND x.store_id = f.store_id AND x.cart_id = f.cart_id AND x.episode = f.episode) AS notified "
                + "FROM cart_fact f JOIN contact c ON c.contact_id = f.contact_id WHERE " + filters
                + " ORDER BY f.store_id, f.cart_id OFFSET " + offset + " LIMIT " + limit;
        return Reactive.uni(database.withConnection(c -> Sql.query(c, sql, row -> new Match(cartFact(row),
                new TriggerChecks.ContactState(true, row.get("has_email", Boolean.class), row.get("consented", Boolean.class),
                        row.get("suppressed", Boolean.class), row.get("bought", Boolean.class)), row.get("notified", Boolean.class)),
                params.toArray())).collectList());
    }

    /**
     * Makes a sent or failed notification pending again for a new delivery (same id and payload).
     * A request id already applied answers without delivering again.
     */
    public Uni<Notification> redeliver(String requestId, String id, Instant now) {
        return Reactive.uni(database.inTransaction(c -> Sql.query(c, "INSERT INTO trigger_request (request_id, kind, subject_id, create_time) "
                        + "VALUES ($1, 'redeliver', $2, $3) ON CONFLICT DO NOTHING RETURNING request_id", row -> true, requestId, id, now).next()
                .flatMap(first -> Sql.query(c, "SELECT state FROM notification WHERE notification_id = $1 FOR UPDATE", row -> row.get("state", Short.class), id)
                        .next()
                        .switchIfEmpty(Mono.error(() -> new NotFoundException("notification " + id + " does not exist")))
                        .flatMap(state -> state != 2 && state != 4
                                ? Mono.error(new RuleViolationException("NOTIFICATION_NOT_DELIVERABLE",
                                "only a sent or failed notification can be delivered again"))
                                : Sql.update(c, "UPDATE notification SET state = 1, attempt_count = 0, skip_reason = 0, last_error = NULL, "
                                + "last_status_code = 0, next_attempt_time = $2, complete_time = NULL, delivery_start = NULL, lease_owner = NULL, "
                                + "lease_until = NULL WHERE notification_id = $1", id, now)))
                .thenReturn(true)
                .defaultIfEmpty(true)))
                .chain(() -> get(id));
    }
}
