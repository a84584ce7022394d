package org.relance.cart.persistence;

import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.relance.cart.domain.Cart;
import org.relance.cart.domain.CartEventType;
import org.relance.cart.domain.CartState;
import org.relance.cart.domain.ConversionOutcome;
import org.relance.kit.db.Database;
import org.relance.kit.time.Instants;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.error.NotFoundException;
import org.relance.kit.error.RuleViolationException;
import reactor.core.publisher.Mono;

/** Cart reads and the lifecycle writes other than submits: link, convert, erase, sweep, purge. */
@Singleton
public class CartRepository {
    private final Database database;
    private final Clock clock;

    private final CartEventLog events;
    private final PageEventLog pageEvents;

    public CartRepository(Database database, Clock clock, CartEventLog events, PageEventLog pageEvents) {
        this.database = database;
        this.events = events;
        this.pageEvents = pageEvents;
        this.clock = clock;
    }

    /** One cart with its items. */
    public Uni<Cart> get(String storeId, String cartId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "SELECT " + CartRows.COLUMNS + " FROM cart WHERE store_id = $1 AND cart_id = $2",
                        CartRows::map, storeId, cartId)).next()
                .switchIfEmpty(Mono.error(() -> new NotFoundException("cart " + cartId + " of store " + storeId
                        + " does not exist (never tracked, purged or erased)"))));
    }

    /** A page of a contact's or visitor's carts, most recently changed first; {@code storeId} may be null. */
    public Uni<List<Cart>> list(String storeId, String contactId, String visitorId, int limit, int offset) {
        StringBuilder sql = new StringBuilder("SELECT " + CartRows.COLUMNS + " FROM cart WHERE ");
        List<Object> args = new ArrayList<>();
        if (contactId != null) {
            args.add(contactId);
            sql.append("contact_id = $1");
        } else {
            args.add(visitorId);
            sql.append("visitor_id = $1");
        }
        if (storeId != null) {
            args.add(storeId);
            sql.append(" AND store_id = $2");
        }
        sql.append(" ORDER BY update_time DESC, store_id, cart_id LIMIT ").append(limit).append(" OFFSET ").append(offset);
        return Reactive.uni(database.withConnection(c -> Sql.query(c, sql.toString(), CartRows::map, args.toArray()))
                .collectList());
    }

    /** Links a visitor to a contact: its carts now and later. Returns how many carts changed. */
    public Uni<Integer> link(String storeId, String visitorId, String contactId) {
        Instant now = Instants.now(clock);
        // The visitor's lock first: a submit of this visitor waits, or has committed its carts already.
        return Reactive.uni(database.inTransaction(c -> CartLocks.lockAll(c, new java.util.TreeSet<>(List.of(CartLocks.visitorKey(storeId, visitorId))))
                .then(Sql.query(c,
                        "SELECT subject FROM suppression WHERE subject = ANY($1::text[])", row -> row.get("subject", String.class),
                        (Object) new String[] {Suppression.contact(contactId), Suppression.visitor(storeId, visitorId)})
                .hasElements())
                .flatMap(suppressed -> {
                    if (suppressed) {
                        return Mono.error(new RuleViolationException(SubmitWriter.CONTACT_SUPPRESSED,
                                "this contact was erased and is no longer tracked"));
                    }
                    return Sql.query(c, "SELECT 1 FROM store WHERE store_id = $1", row -> 1, storeId).hasElements();
                })
                .flatMap(storeExists -> {
                    if (!storeExists) {
                        return Mono.error(new NotFoundException("store " + storeId + " does not exist"));
                    }
                    return Sql.update(c, "INSERT INTO visitor_contact (store_id, visitor_id, contact_id, link_time) "
                            + "VALUES ($1, $2, $3, $4) ON CONFLICT (store_id, visitor_id) DO UPDATE SET contact_id = EXCLUDED.contact_id, "
                            + "link_time = EXCLUDED.link_time", storeId, visitorId, contactId, now)
                            // In the page log, in order with the visitor's views (and before cart events: lock order).
                            .then(pageEvents.appendLink(c, storeId, visitorId, contactId, now));
                })
                .thenMany(Sql.query(c, "UPDATE cart SET contact_id = $3 WHERE store_id = $1 AND visitor_id = $2 "
                        + "AND contact_id IS DISTINCT FROM $3 RETURNING " + CartRows.COLUMNS, CartRows::map, storeId, visitorId, contactId))
                .collectList()
                .flatMap(carts -> {
                    List<CartEventLog.NewEvent> linked = new ArrayList<>();
                    for (Cart cart : carts) {
                        linked.add(new CartEventLog.NewEvent(CartEventType.LINKED, now, cart.withoutItems()));
                    }
                    return events.append(c, linked).thenReturn(carts.size());
                })));
    }

    /** What a conversion found and the cart after it. */
    public record Conversion(ConversionOutcome outcome, Cart cart) {
    }

    /**
     * Closes a cart because a transaction named it. Unknown carts get a closed placeholder so
     * that a late submit cannot reopen them; converting again answers the first outcome.
     */
    public Uni<Conversion> convert(String storeId, String cartId, String transactionId, Instant convertTime, String contactId) {
        Instant now = Instants.now(clock);
        Instant when = convertTime != null ? Instants.micros(convertTime) : now;
        TreeSet<Long> keys = new TreeSet<>(List.of(CartLocks.key(storeId, cartId)));
        return Reactive.uni(database.inTransaction(c -> CartLocks.lockAll(c, keys)
                .then(Sql.query(c, "SELECT currency_code FROM store WHERE store_id = $1", row -> row.get("currency_code", String.class), storeId).next())
                .switchIfEmpty(Mono.error(() -> new NotFoundException("store " + storeId + " does not exist")))
                .flatMap(currency -> Sql.query(c, "SELECT " + CartRows.COLUMNS + " FROM cart WHERE store_id = $1 AND cart_id = $2 FOR UPDATE",
                                CartRows::map, storeId, cartId).next()
                        .map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty())
                        .flatMap(found -> {
                            Cart before = found.orElse(null);
                            if (before != null && before.state() == CartState.CONVERTED) {
                                return Mono.just(new Conversion(before.outcome(), before));
                            }
                            // Recovered: bought after having been abandoned, even if the buyer changed it on coming back.
                            ConversionOutcome outcome = before == null ? ConversionOutcome.UNTRACKED
                                    : before.state() == CartState.ABANDONED || before.episode() > 0
                                    ? ConversionOutcome.RECOVERED : ConversionOutcome.CONVERTED;
                            Cart base = before != null ? before : Cart.create(storeId, cartId, currency, now);
                            Cart after = base.toBuilder()
                                    .state(CartState.CONVERTED)
                                    .outcome(outcome)
                                    .recovered(outcome == ConversionOutcome.RECOVERED)
                                    .transactionId(transactionId)
                                    .convertTime(when)
                                    .contactId(base.contactId() == null ? contactId : base.contactId())
                                    .build();
                            return CartRows.upsertAll(c, List.of(after))
                                    .then(events.append(c, List.of(new CartEventLog.NewEvent(CartEventType.CONVERTED, now, after.withoutItems()))))
                                    .thenReturn(new Conversion(outcome, after));
                        }))));
    }

    /** What an erasure removed. */
    public record Erasure(long carts, long visitors, long pageViews) {
    }

    /** Deletes a contact's carts (and its visitors' carts), their events, and suppresses further tracking. */
    public Uni<Erasure> erase(String contactId) {
        Instant now = Instants.now(clock);
        return Reactive.uni(database.inTransaction(c -> Sql.query(c,
                        "DELETE FROM visitor_contact WHERE contact_id = $1 RETURNING store_id, visitor_id",
                        row -> new String[] {row.get("store_id", String.class), row.get("visitor_id", String.class)}, contactId)
                .collectList()
                .flatMap(visitors -> {
                    String[] vs = visitors.stream().map(v -> v[0]).toArray(String[]::new);
                    String[] vv = visitors.stream().map(v -> v[1]).toArray(String[]::new);
                    List<String> subjects = new ArrayList<>();
                    subjects.add(Suppression.contact(contactId));
                    visitors.forEach(v -> subjects.add(Suppression.visitor(v[0], v[1])));
                    return Sql.update(c, "INSERT INTO suppression (subject, erase_time) SELECT s, $2 FROM unnest($1::text[]) AS s "
                                    + "ON CONFLICT (subject) DO NOTHING", subjects.toArray(String[]::new), now)
                            .thenMany(Sql.query(c, "DELETE FROM cart WHERE contact_id = $1 OR (store_id, visitor_id) IN "
                                            + "(SELECT * FROM unnest($2::text[], $3::text[])) RETURNING " + CartRows.COLUMNS,
                                    CartRows::map, contactId, vs, vv))
                            .collectList()
                            .flatMap(carts -> {
                                String[] cs = carts.stream().map(Cart::storeId).toArray(String[]::new);
                                String[] ci = carts.stream().map(Cart::cartId).toArray(String[]::new);
                                List<CartEventLog.NewEvent> erased = new ArrayList<>();
                                for (Cart cart : carts) {
                                    // The erased event carries identifiers only: the cart's content is gone.
                                    Cart bare = Cart.create(cart.storeId(), cart.cartId(), cart.currencyCode(), cart.createTime())
                                            .toBuilder().contactId(contactId).updateTime(now).build();
                                    erased.add(new CartEventLog.NewEvent(CartEventType.ERASED, now, bare));
                                }
                                return Sql.update(c, "DELETE FROM cart_event WHERE (store_id, cart_id) IN "
                                                + "(SELECT * FROM unnest($1::text[], $2::text[]))", cs, ci)
                                        .then(Sql.update(c, "DELETE FROM cart_submit WHERE store_id = ANY($1::text[]) AND cart_ids && $2::text[]",
                                                cs, ci))
                                        .then(Sql.query(c, "WITH gone AS (DELETE FROM page_event WHERE (store_id, visitor_id) IN "
                                                        + "(SELECT * FROM unnest($2::text[], $3::text[])) OR (view ? 'contact_id' AND view ->> 'contact_id' = $1) "
                                                        + "RETURNING event_type) SELECT count(*) FILTER (WHERE event_type = 1) AS n FROM gone",
                                                row -> row.get("n", Long.class), contactId, vs, vv).next())
                                        .flatMap(pageViews -> events.append(c, erased)
                                                .thenReturn(new Erasure(carts.size(), visitors.size(), pageViews)));
                            });
                })));
    }

    /**
     * Marks abandoned, in one statement, up to {@code limit} active carts of a store unchanged
     * since {@code cutoff}, with an ABANDONED event each. Rows locked by a concurrent writer are
     * skipped (they are being changed). Returns how many were marked.
     */
    public Mono<Long> sweep(Connection c, String storeId, Instant cutoff, Instant now, int limit) {
        return Sql.query(c, """
                WITH due AS (
                    SELECT store_id, cart_id FROM cart
                    WHERE store_id = $1 AND state = 1 AND update_time < $2
                    ORDER BY update_time LIMIT $4 FOR UPDATE SKIP LOCKED
                ), marked AS (
                    UPDATE cart c SET state = 2, episode = c.episode + 1, abandon_time = $3
                    FROM due WHERE c.store_id = due.store_id AND c.cart_id = due.cart_id
                    RETURNING c.*
                ), n AS (
                    SELECT count(*) AS k FROM marked
                ), %s, inserted AS (
                    INSERT INTO cart_event (sequence, event_type, occur_time, store_id, cart_id, cart)
                    SELECT counter.base + row_number() OVER (), 3, $3, m.store_id, m.cart_id,
                           jsonb_set(to_jsonb(m), '{items}', '[]'::jsonb)
                    FROM marked m, counter
                    RETURNING sequence
                )
                SELECT count(*) AS marked FROM inserted, %s
                """.formatted(events.counterCte(), events.notifyCall()), row -> row.get("marked", Long.class), storeId, cutoff, now, limit).next().defaultIfEmpty(0L);
    }

    /**
     * Deletes up to {@code limit} carts of a store whose last change is before {@code cutoff},
     * with a PURGED event each (identifiers only), and the events and submits older than it.
     */
    public Mono<Long> purge(Connection c, String storeId, Instant cutoff, Instant now, int limit) {
        return Sql.query(c, """
                WITH old AS (
                    SELECT store_id, cart_id FROM cart WHERE store_id = $1 AND update_time < $2
                    ORDER BY update_time LIMIT $4 FOR UPDATE SKIP LOCKED
                ), removed AS (
                    DELETE FROM cart c USING old WHERE c.store_id = old.store_id AND c.cart_id = old.cart_id
                    RETURNING c.*
                ), n AS (
                    SELECT count(*) AS k FROM removed
                ), %s, inserted AS (
                    INSERT INTO cart_event (sequence, event_type, occur_time, store_id, cart_id, cart)
                    SELECT counter.base + row_number() OVER (), 7, $3, r.store_id, r.cart_id,
                           jsonb_build_object('store_id', r.store_id, 'cart_id', r.cart_id, 'state', r.state,
                                              'currency_code', r.currency_code, 'contact_id', r.contact_id,
                                              'visitor_id', r.visitor_id, 'episode', r.episode, 'recovered', r.recovered,
                                              'create_time', r.create_time, 'update_time', r.update_time, 'source', r.source)
                    FROM removed r, counter
                    RETURNING sequence
                )
                SELECT count(*) AS purged FROM inserted, %s
                """.formatted(events.counterCte(), events.notifyCall()), row -> row.get("purged", Long.class), storeId, cutoff, now, limit).next().defaultIfEmpty(0L)
                .flatMap(purged -> Sql.update(c, "DELETE FROM cart_event WHERE store_id = $1 AND occur_time < $2",
                                storeId, cutoff)
                        .then(Sql.update(c, "DELETE FROM cart_submit WHERE store_id = $1 AND apply_time < $2", storeId, cutoff))
                        .thenReturn(purged));
    }
}
