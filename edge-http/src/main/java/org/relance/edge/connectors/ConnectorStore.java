package org.relance.edge.connectors;

import io.r2dbc.spi.Readable;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;

/** The connector tables of the edge's database: connectors, the webhook inbox, and the carts' return URLs. */
@Singleton
public class ConnectorStore {
    private static final String CONNECTOR_COLUMNS = "site_id, platform, store_id, site_key, secret, enabled, create_time, update_time";
    private static final String DELIVERY_COLUMNS = "inbox_id, site_id, store_id, site_key, platform, delivery_id, dedup_key, topic, "
            + "state, attempts, outcome, detail, receive_time, next_attempt_time, finish_time";
    private static final Sql.Null NO_TIME = new Sql.Null(OffsetDateTime.class);

    private final Database database;

    public ConnectorStore(Database database) {
        this.database = database;
    }

    /** Creates or replaces the connector of a site and platform; answers it as stored. */
    public Uni<Connector> save(Connector c) {
        return Reactive.uni(database.withConnection(conn -> Sql.query(conn,
                "INSERT INTO connector (" + CONNECTOR_COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $7) "
                        + "ON CONFLICT (site_id, platform) DO UPDATE SET store_id = EXCLUDED.store_id, site_key = EXCLUDED.site_key, "
                        + "secret = EXCLUDED.secret, enabled = EXCLUDED.enabled, update_time = EXCLUDED.update_time "
                        + "RETURNING " + CONNECTOR_COLUMNS,
                ConnectorStore::connector, c.siteId(), c.platform().path(), c.storeId(), c.siteKey(), c.secret(), c.enabled(),
                c.updateTime())).next());
    }

    public Uni<Optional<Connector>> get(String siteId, Platform platform) {
        return one("SELECT " + CONNECTOR_COLUMNS + " FROM connector WHERE site_id = $1 AND platform = $2", siteId, platform.path());
    }

    /** The connector a webhook URL names. */
    public Uni<Optional<Connector>> byKey(String siteKey, Platform platform) {
        return one("SELECT " + CONNECTOR_COLUMNS + " FROM connector WHERE site_key = $1 AND platform = $2", siteKey, platform.path());
    }

    public Uni<List<Connector>> list(String siteId) {
        return Reactive.uni(database.withConnection(conn -> Sql.query(conn,
                "SELECT " + CONNECTOR_COLUMNS + " FROM connector WHERE site_id = $1 ORDER BY platform",
                ConnectorStore::connector, siteId)).collectList());
    }

    /** True when there was a connector to delete. Its deliveries stay (and pending ones are still applied). */
    public Uni<Boolean> delete(String siteId, Platform platform) {
        return Reactive.uni(database.withConnection(conn -> Sql.update(conn,
                "DELETE FROM connector WHERE site_id = $1 AND platform = $2", siteId, platform.path())).next()).map(n -> n > 0);
    }

    private Uni<Optional<Connector>> one(String sql, Object... args) {
        return Reactive.uni(database.withConnection(conn -> Sql.query(conn, sql, ConnectorStore::connector, args)).next())
                .map(Optional::ofNullable);
    }

    /**
     * Stores a verified webhook; false when the same delivery is already there (a repeat). The row
     * is committed when this completes: only then may the platform be answered.
     */
    public Uni<Boolean> accept(Connector c, String deliveryId, String dedupKey, String topic, byte[] payload, String state,
                               String outcome, Instant now) {
        boolean finished = !Delivery.PENDING.equals(state);
        return Reactive.uni(database.withConnection(conn -> Sql.update(conn,
                "INSERT INTO connector_inbox (site_id, store_id, site_key, platform, dedup_key, delivery_id, topic, payload, state, "
                        + "outcome, receive_time, next_attempt_time, finish_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) "
                        + "ON CONFLICT (site_id, platform, dedup_key) DO NOTHING",
                c.siteId(), c.storeId(), c.siteKey(), c.platform().path(), dedupKey, deliveryId, topic, payload, state, outcome, now,
                finished ? now : NO_TIME)).next()).map(n -> n > 0);
    }

    /**
     * Takes up to {@code limit} due deliveries, oldest first. Each is leased until {@code leaseUntil}
     * (its next attempt time): a worker that dies while applying it leaves it to be taken again then,
     * and concurrent workers (other replicas) skip rows another one holds.
     */
    public Uni<List<Delivery>> claim(Instant now, Instant leaseUntil, int limit) {
        return Reactive.uni(database.withConnection(conn -> Sql.query(conn,
                "UPDATE connector_inbox SET attempts = attempts + 1, next_attempt_time = $1 WHERE inbox_id IN ("
                        + "SELECT inbox_id FROM connector_inbox WHERE state = 'pending' AND next_attempt_time <= $2 "
                        + "ORDER BY next_attempt_time, inbox_id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING " + DELIVERY_COLUMNS + ", payload",
                row -> delivery(row, true), leaseUntil, now, limit)).collectList())
                .map(list -> {
                    // RETURNING has no order; arrival order is what keeps a checkout's updates in sequence.
                    list.sort(Comparator.comparingLong(Delivery::inboxId));
                    return list;
                });
    }

    /** Ends a delivery in {@code state} (done, ignored, refused, failed). */
    public Uni<Void> finish(long inboxId, String state, String outcome, String detail, Instant now) {
        return Reactive.uni(database.withConnection(conn -> Sql.update(conn,
                "UPDATE connector_inbox SET state = $2, outcome = $3, detail = $4, finish_time = $5, next_attempt_time = $5 "
                        + "WHERE inbox_id = $1", inboxId, state, outcome, cut(detail), now)).next()).replaceWithVoid();
    }

    /** Leaves a delivery pending until {@code at}, with the failure that delayed it. */
    public Uni<Void> retryAt(long inboxId, Instant at, String outcome, String detail) {
        return Reactive.uni(database.withConnection(conn -> Sql.update(conn,
                "UPDATE connector_inbox SET next_attempt_time = $2, outcome = $3, detail = $4 WHERE inbox_id = $1 AND state = 'pending'",
                inboxId, at, outcome, cut(detail))).next()).replaceWithVoid();
    }

    /** A site's deliveries, newest first, without their payloads. */
    public Uni<List<Delivery>> deliveries(String siteId, Platform platform, String state, long beforeId, int limit) {
        return Reactive.uni(database.withConnection(conn -> Sql.query(conn,
                "SELECT " + DELIVERY_COLUMNS + " FROM connector_inbox WHERE site_id = $1 AND platform = $2 "
                        + "AND ($3::text = '' OR state = $3) AND inbox_id < $4 ORDER BY inbox_id DESC LIMIT $5",
                row -> delivery(row, false), siteId, platform.path(), state, beforeId, limit)).collectList());
    }

    /** Puts a refused or failed delivery back in the queue (after the cause was fixed); false when there is none such. */
    public Uni<Boolean> requeue(String siteId, Platform platform, long inboxId, Instant now) {
        return Reactive.uni(database.withConnection(conn -> Sql.update(conn,
                "UPDATE connector_inbox SET state = 'pending', attempts = 0, next_attempt_time = $4, finish_time = NULL "
                        + "WHERE inbox_id = $3 AND site_id = $1 AND platform = $2 AND state IN ('refused', 'failed')",
                siteId, platform.path(), inboxId, now)).next()).map(n -> n > 0);
    }

    /** Deletes finished deliveries received before {@code before} (they hold personal data). */
    public Uni<Long> purge(Instant before) {
        return Reactive.uni(database.withConnection(conn -> Sql.update(conn,
                "DELETE FROM connector_inbox WHERE state <> 'pending' AND receive_time < $1", before)).next());
    }

    /** The platform's own cart data: return URL and last change applied. */
    public record CartLink(String storeId, String cartId, String siteId, String platform, String returnUrl, Instant sourceUpdateTime,
                           Instant updateTime) {
    }

    public Uni<Optional<CartLink>> cart(String storeId, String cartId) {
        return Reactive.uni(database.withConnection(conn -> Sql.query(conn,
                "SELECT store_id, cart_id, site_id, platform, return_url, source_update_time, update_time FROM connector_cart "
                        + "WHERE store_id = $1 AND cart_id = $2",
                row -> new CartLink(row.get("store_id", String.class), row.get("cart_id", String.class), row.get("site_id", String.class),
                        row.get("platform", String.class), row.get("return_url", String.class), Sql.instant(row, "source_update_time"),
                        Sql.instant(row, "update_time")), storeId, cartId)).next()).map(Optional::ofNullable);
    }

    /** Records what a cart snapshot carried; an older snapshot never replaces a newer one's time. */
    public Uni<Void> rememberCart(String storeId, String cartId, String siteId, Platform platform, String returnUrl,
                                  Instant sourceUpdateTime, Instant now) {
        return Reactive.uni(database.withConnection(conn -> Sql.update(conn,
                "INSERT INTO connector_cart (store_id, cart_id, site_id, platform, return_url, source_update_time, update_time) "
                        + "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (store_id, cart_id) DO UPDATE SET "
                        + "return_url = COALESCE(EXCLUDED.return_url, connector_cart.return_url), "
                        + "source_update_time = GREATEST(EXCLUDED.source_update_time, connector_cart.source_update_time), "
                        + "update_time = EXCLUDED.update_time",
                storeId, cartId, siteId, platform.path(), returnUrl, sourceUpdateTime == null ? NO_TIME : sourceUpdateTime, now))
                .next()).replaceWithVoid();
    }

    private static Connector connector(Readable row) {
        return new Connector(row.get("site_id", String.class), Platform.fromPath(row.get("platform", String.class)).orElseThrow(),
                row.get("store_id", String.class), row.get("site_key", String.class), row.get("secret", String.class),
                Boolean.TRUE.equals(row.get("enabled", Boolean.class)), Sql.instant(row, "create_time"), Sql.instant(row, "update_time"));
    }

    private static Delivery delivery(Readable row, boolean withPayload) {
        Integer attempts = row.get("attempts", Integer.class);
        return new Delivery(row.get("inbox_id", Long.class), row.get("site_id", String.class), row.get("store_id", String.class),
                row.get("site_key", String.class), Platform.fromPath(row.get("platform", String.class)).orElseThrow(),
                row.get("delivery_id", String.class), row.get("dedup_key", String.class), row.get("topic", String.class),
                withPayload ? row.get("payload", byte[].class) : new byte[0], row.get("state", String.class),
                attempts == null ? 0 : attempts, row.get("outcome", String.class), row.get("detail", String.class),
                Sql.instant(row, "receive_time"), Sql.instant(row, "next_attempt_time"), Sql.instant(row, "finish_time"));
    }

    private static String cut(String s) {
        return s == null || s.length() <= 2000 ? s : s.substring(0, 2000);
    }
}
