package org.relance.segment.persistence;

import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.relance.api.cart.v1.Cart;
import org.relance.api.cart.v1.CartEvent;
import org.relance.api.cart.v1.CartEventType;
import org.relance.api.cart.v1.CartItem;
import org.relance.api.cart.v1.PageEvent;
import org.relance.api.cart.v1.PageEventType;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionEvent;
import org.relance.api.transaction.v1.TransactionEventType;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.url.PageUrls;
import reactor.core.publisher.Mono;

/**
 * Per-contact commerce facts, built from the cart and transaction event streams, and page-visit
 * facts, built from the page event stream. A batch of
 * events is applied in one transaction together with the stream position, so that a restart
 * neither loses nor applies twice; events at or below the stored position are skipped.
 * The proto events are the input here: they are the other services' contract.
 */
@Singleton
public class FactsStore {
    /** Stream names in {@code stream_position}. */
    public static final String CART = "cart";
    public static final String TRANSACTION = "transaction";
    public static final String PAGE = "page";

    private final Database database;

    public FactsStore(Database database) {
        this.database = database;
    }

    private record Pair(String contactId, String storeId) {
    }

    /** The stored position of a stream. */
    public Uni<Long> position(String stream) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT sequence FROM stream_position WHERE stream = $1",
                row -> row.get("sequence", Long.class), stream)).next());
    }

    /** The positions of the streams a watermark names: (cart, transaction). */
    public Uni<long[]> positions() {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT stream, sequence FROM stream_position "
                                + "WHERE stream IN ($1, $2)",
                        row -> new Object[] {row.get("stream", String.class), row.get("sequence", Long.class)}, CART, TRANSACTION))
                .collectList()
                .map(rows -> {
                    long[] p = new long[2];
                    for (Object[] r : rows) {
                        p[CART.equals(r[0]) ? 0 : 1] = (Long) r[1];
                    }
                    return p;
                }));
    }

    /** Applies a batch of cart events (in sequence order); returns the new position. */
    public Uni<Long> applyCartEvents(List<CartEvent> events) {
        return Reactive.uni(database.inTransaction(c -> lockPosition(c, CART).flatMap(position -> {
            Set<Pair> affected = new LinkedHashSet<>();
            Mono<Void> chain = Mono.empty();
            long last = position;
            for (CartEvent e : events) {
                if (e.getSequence() <= last) {
                    continue;
                }
                last = e.getSequence();
                chain = chain.then(applyCart(c, e, affected));
            }
            long newPosition = last;
            return ensureContacts(c, events.stream().map(e -> e.getCart().getContactId()).toList())
                    .then(chain)
                    .then(Mono.defer(() -> refresh(c, affected)))
                    .then(Sql.update(c, "UPDATE stream_position SET sequence = $2 WHERE stream = $1", CART, newPosition))
                    .thenReturn(newPosition);
        })));
    }

    /** Applies a batch of transaction events (in sequence order); returns the new position. */
    public Uni<Long> applyTransactionEvents(List<TransactionEvent> events) {
        return Reactive.uni(database.inTransaction(c -> lockPosition(c, TRANSACTION).flatMap(position -> {
            Set<Pair> affected = new LinkedHashSet<>();
            Mono<Void> chain = Mono.empty();
            long last = position;
            for (TransactionEvent e : events) {
                if (e.getSequence() <= last) {
                    continue;
                }
                last = e.getSequence();
                chain = chain.then(applyTransaction(c, e, affected));
            }
            long newPosition = last;
            return ensureContacts(c, events.stream().map(e -> e.getTransaction().getContactId()).toList())
                    .then(chain)
                    .then(Mono.defer(() -> refresh(c, affected)))
                    .then(Sql.update(c, "UPDATE stream_position SET sequence = $2 WHERE stream = $1", TRANSACTION, newPosition))
                    .thenReturn(newPosition);
        })));
    }

    /**
     * Applies a batch of page events (in sequence order); returns the new position. Views are
     * counted per (contact, URL, UTC day), or per (visitor, URL, day) while the visitor's contact
     * is unknown; a VISITOR_LINKED moves the visitor's counts to its contact. Runs of views between
     * two links are written together, so the log's order decides where every view goes.
     */
    public Uni<Long> applyPageEvents(List<PageEvent> events) {
        return Reactive.uni(database.inTransaction(c -> lockPosition(c, PAGE).flatMap(position -> {
            List<PageEvent> fresh = new ArrayList<>();
            long last = position;
            for (PageEvent e : events) {
                if (e.getSequence() > last) {
                    last = e.getSequence();
                    fresh.add(e);
                }
            }
            long newPosition = last;
            List<String> named = new ArrayList<>();
            for (PageEvent e : fresh) {
                named.add(e.getType() == PageEventType.PAGE_EVENT_TYPE_VISITOR_LINKED ? e.getContactId() : e.getPageView().getContactId());
            }
            Mono<Void> chain = ensureContacts(c, named).then(pageUrls(c, fresh));
            List<PageEvent> run = new ArrayList<>();
            for (PageEvent e : fresh) {
                if (e.getType() == PageEventType.PAGE_EVENT_TYPE_VIEWED) {
                    run.add(e);
                } else if (e.getType() == PageEventType.PAGE_EVENT_TYPE_VISITOR_LINKED) {
                    chain = chain.then(views(c, List.copyOf(run))).then(link(c, e));
                    run.clear();
                }
            }
            return chain.then(views(c, List.copyOf(run)))
                    .then(Sql.update(c, "UPDATE stream_position SET sequence = $2 WHERE stream = $1", PAGE, newPosition))
                    .thenReturn(newPosition);
        })));
    }

    /** The UTC day a view counts on: when the browser showed it, else when it was recorded. */
    static String viewDay(PageEvent e) {
        com.google.protobuf.Timestamp t = e.getPageView().hasViewTime() ? e.getPageView().getViewTime() : e.getOccurTime();
        return java.time.LocalDate.ofInstant(java.time.Instant.ofEpochSecond(t.getSeconds(), t.getNanos()), java.time.ZoneOffset.UTC)
                .toString();
    }

    private static String viewStore(PageEvent e) {
        return e.getPageView().getStoreId().isEmpty() ? e.getStoreId() : e.getPageView().getStoreId();
    }

    private static String viewVisitor(PageEvent e) {
        return e.getPageView().getVisitorId().isEmpty() ? e.getVisitorId() : e.getPageView().getVisitorId();
    }

    /** The URL dictionary rows of the batch's views, inserted in key order (no deadlock between replicas). */
    private static Mono<Void> pageUrls(Connection c, List<PageEvent> events) {
        java.util.TreeMap<String, String[]> urls = new java.util.TreeMap<>();
        for (PageEvent e : events) {
            if (e.getType() == PageEventType.PAGE_EVENT_TYPE_VIEWED && !e.getPageView().getUrl().isEmpty()) {
                String url = e.getPageView().getUrl();
                urls.putIfAbsent(viewStore(e) + '\u0000' + url, new String[] {viewStore(e), url, PageUrls.pathAndQuery(url)});
            }
        }
        if (urls.isEmpty()) {
            return Mono.empty();
        }
        return Sql.update(c, "INSERT INTO page_url (store_id, url, path_and_query) "
                        + "SELECT s, u, p FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS x(s, u, p, o) ORDER BY o "
                        + "ON CONFLICT (store_id, url) DO NOTHING",
                urls.values().stream().map(r -> r[0]).toArray(String[]::new), urls.values().stream().map(r -> r[1]).toArray(String[]::new),
                urls.values().stream().map(r -> r[2]).toArray(String[]::new)).then();
    }

    /**
     * Counts a run of views: to the view's contact, else to the contact the stream linked its
     * visitor to, else to the visitor. Views of an erased contact are dropped.
     */
    private static Mono<Void> views(Connection c, List<PageEvent> run) {
        List<PageEvent> views = run.stream().filter(e -> !e.getPageView().getUrl().isEmpty()).toList();
        if (views.isEmpty()) {
            return Mono.empty();
        }
        return Sql.update(c, """
                        WITH v AS (
                            SELECT u.store_id, u.visitor_id, coalesce(nullif(u.contact_id, ''), l.contact_id) AS contact_id, p.url_id,
                                   u.day::date AS day, count(*) AS views
                            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(store_id, visitor_id, contact_id, url, day)
                            JOIN page_url p ON p.store_id = u.store_id AND p.url = u.url
                            LEFT JOIN page_visitor l ON l.store_id = u.store_id AND l.visitor_id = u.visitor_id
                            GROUP BY 1, 2, 3, 4, 5
                        ), known AS (
                            INSERT INTO contact_page_day AS d (contact_id, url_id, day, store_id, views)
                            SELECT v.contact_id, v.url_id, v.day, min(v.store_id), sum(v.views) FROM v
                            WHERE v.contact_id IS NOT NULL
                                AND NOT EXISTS (SELECT 1 FROM suppression s WHERE s.subject = 'contact:' || v.contact_id)
                            GROUP BY v.contact_id, v.url_id, v.day ORDER BY 1, 2, 3
                            ON CONFLICT (contact_id, url_id, day) DO UPDATE SET views = d.views + EXCLUDED.views
                            RETURNING 1
                        )
                        INSERT INTO visitor_page_day AS d (store_id, visitor_id, url_id, day, views)
                        SELECT v.store_id, v.visitor_id, v.url_id, v.day, sum(v.views) FROM v
                        WHERE v.contact_id IS NULL AND v.visitor_id <> ''
                        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
                        ON CONFLICT (store_id, visitor_id, url_id, day) DO UPDATE SET views = d.views + EXCLUDED.views
                        """,
                views.stream().map(FactsStore::viewStore).toArray(String[]::new),
                views.stream().map(FactsStore::viewVisitor).toArray(String[]::new),
                views.stream().map(e -> e.getPageView().getContactId()).toArray(String[]::new),
                views.stream().map(e -> e.getPageView().getUrl()).toArray(String[]::new),
                views.stream().map(FactsStore::viewDay).toArray(String[]::new)).then();
    }

    /** A visitor became a contact: its uncounted views move to the contact, and its later ones go there too. */
    private static Mono<Void> link(Connection c, PageEvent e) {
        if (e.getStoreId().isEmpty() || e.getVisitorId().isEmpty() || e.getContactId().isEmpty()) {
            return Mono.empty();
        }
        return Sql.update(c, """
                        WITH linked AS (
                            INSERT INTO page_visitor (store_id, visitor_id, contact_id)
                            SELECT $1::text, $2::text, $3::text
                            WHERE NOT EXISTS (SELECT 1 FROM suppression s WHERE s.subject = 'contact:' || $3::text)
                            ON CONFLICT (store_id, visitor_id) DO UPDATE SET contact_id = EXCLUDED.contact_id
                            RETURNING 1
                        ), moved AS (
                            DELETE FROM visitor_page_day WHERE store_id = $1::text AND visitor_id = $2::text RETURNING url_id, day, views
                        )
                        INSERT INTO contact_page_day AS d (contact_id, url_id, day, store_id, views)
                        SELECT $3::text, m.url_id, m.day, $1::text, m.views FROM moved m
                        WHERE NOT EXISTS (SELECT 1 FROM suppression s WHERE s.subject = 'contact:' || $3::text)
                        ORDER BY m.url_id, m.day
                        ON CONFLICT (contact_id, url_id, day) DO UPDATE SET views = d.views + EXCLUDED.views
                        """, e.getStoreId(), e.getVisitorId(), e.getContactId()).then();
    }

    private static Mono<Long> lockPosition(Connection c, String stream) {
        return Sql.query(c, "SELECT sequence FROM stream_position WHERE stream = $1 FOR UPDATE",
                row -> row.get("sequence", Long.class), stream).next();
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static String ts(com.google.protobuf.Timestamp t, boolean present) {
        return present ? java.time.Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString() : null;
    }

    private static String items(List<CartItem> items) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < items.size(); i++) {
            CartItem item = items.get(i);
            if (i > 0) {
                b.append(',');
            }
            b.append("{\"product_id\":").append(json(item.getProductId()))
                    .append(",\"product_name\":").append(json(item.getProductName()))
                    .append(",\"category\":").append(json(item.getCategory()))
                    .append(",\"category_id\":").append(json(item.getCategoryId()))
                    .append(",\"unit_price\":").append(decimal(item.getUnitPrice()).toPlainString())
                    .append(",\"quantity\":").append(item.getQuantity()).append('}');
        }
        return b.append(']').toString();
    }

    static java.math.BigDecimal decimal(org.relance.api.common.v1.Money m) {
        return java.math.BigDecimal.valueOf(m.getUnits()).add(java.math.BigDecimal.valueOf(m.getNanos(), 9)).stripTrailingZeros();
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private Mono<Void> applyCart(Connection c, CartEvent e, Set<Pair> affected) {
        Cart cart = e.getCart();
        String contact = emptyToNull(cart.getContactId());
        Mono<Void> before = Sql.query(c, "SELECT contact_id FROM cart_fact WHERE store_id = $1 AND cart_id = $2",
                        row -> java.util.Optional.ofNullable(row.get("contact_id", String.class)), cart.getStoreId(), cart.getCartId())
                .next()
                .doOnNext(old -> old.ifPresent(id -> affected.add(new Pair(id, cart.getStoreId()))))
                .then();
        if (contact != null) {
            affected.add(new Pair(contact, cart.getStoreId()));
        }
        if (e.getType() == CartEventType.CART_EVENT_TYPE_ERASED) {
            return before.then(Sql.update(c, "DELETE FROM cart_fact WHERE store_id = $1 AND cart_id = $2", cart.getStoreId(),
                    cart.getCartId())).then();
        }
        if (e.getType() == CartEventType.CART_EVENT_TYPE_PURGED) {
            // Retention removes the cart's details from the cart service; the facts about it stay.
            return before;
        }
        boolean withItems = e.getType() == CartEventType.CART_EVENT_TYPE_CREATED
                || e.getType() == CartEventType.CART_EVENT_TYPE_CHANGED || e.getType() == CartEventType.CART_EVENT_TYPE_REOPENED;
        String total = cart.hasTotalPrice() ? decimal(cart.getTotalPrice()).toPlainString() : null;
        String currency = cart.hasTotalPrice() && !cart.getTotalPrice().getCurrencyCode().isEmpty()
                ? cart.getTotalPrice().getCurrencyCode()
                : cart.getItemsCount() > 0 ? cart.getItems(0).getUnitPrice().getCurrencyCode() : "";
        return before.then(Sql.update(c, """
                        INSERT INTO cart_fact AS f (store_id, cart_id, contact_id, visitor_id, state, status, total, currency_code, items,
                            product_count, episode, recovered, create_time, update_time, abandon_time, convert_time, site_id, source)
                        SELECT $1, $2, $3, $4, $5, $6, $7::numeric, $8, $9::jsonb, $10, $11, $12, $13::timestamptz, $14::timestamptz,
                                $15::timestamptz, $16::timestamptz, $18, $19
                        WHERE $3::text IS NULL OR NOT EXISTS (SELECT 1 FROM suppression WHERE subject = 'contact:' || $3::text)
                        ON CONFLICT (store_id, cart_id) DO UPDATE SET contact_id = EXCLUDED.contact_id, visitor_id = EXCLUDED.visitor_id,
                            state = EXCLUDED.state, status = EXCLUDED.status, total = EXCLUDED.total,
                            currency_code = CASE WHEN EXCLUDED.currency_code = '' THEN f.currency_code ELSE EXCLUDED.currency_code END,
                            items = CASE WHEN $17 THEN EXCLUDED.items ELSE f.items END,
                            product_count = CASE WHEN $17 THEN EXCLUDED.product_count ELSE f.product_count END,
                            episode = EXCLUDED.episode, recovered = EXCLUDED.recovered, update_time = EXCLUDED.update_time,
                            abandon_time = EXCLUDED.abandon_time, convert_time = EXCLUDED.convert_time,
                            site_id = COALESCE(EXCLUDED.site_id, f.site_id),
                            source = CASE WHEN EXCLUDED.source = 0 THEN f.source ELSE EXCLUDED.source END
                        """, cart.getStoreId(), cart.getCartId(), contact, emptyToNull(cart.getVisitorId()),
                (short) cart.getStateValue(), emptyToNull(cart.getStatus()), total, currency, items(cart.getItemsList()),
                cart.getItemsCount(), cart.getEpisode(), cart.getRecovered(), ts(cart.getCreateTime(), cart.hasCreateTime()),
                ts(cart.getUpdateTime(), cart.hasUpdateTime()), ts(cart.getAbandonTime(), cart.hasAbandonTime()),
                ts(cart.getConvertTime(), cart.hasConvertTime()), withItems, emptyToNull(cart.getSiteId()),
                (short) cart.getSourceValue())).then();
    }

    private Mono<Void> applyTransaction(Connection c, TransactionEvent e, Set<Pair> affected) {
        Transaction t = e.getTransaction();
        String contact = emptyToNull(t.getContactId());
        Mono<Void> before = Sql.query(c, "SELECT contact_id FROM purchase_fact WHERE store_id = $1 AND transaction_id = $2",
                        row -> java.util.Optional.ofNullable(row.get("contact_id", String.class)), t.getStoreId(), t.getTransactionId())
                .next()
                .doOnNext(old -> old.ifPresent(id -> affected.add(new Pair(id, t.getStoreId()))))
                .then();
        if (contact != null) {
            affected.add(new Pair(contact, t.getStoreId()));
        }
        if (e.getType() == TransactionEventType.TRANSACTION_EVENT_TYPE_ERASED) {
            return before.then(Sql.update(c, "DELETE FROM purchase_fact WHERE store_id = $1 AND transaction_id = $2",
                    t.getStoreId(), t.getTransactionId())).then();
        }
        StringBuilder items = new StringBuilder("[");
        for (int i = 0; i < t.getItemsCount(); i++) {
            var item = t.getItems(i);
            if (i > 0) {
                items.append(',');
            }
            items.append("{\"product_id\":").append(json(item.getProductId())).append(",\"product_name\":")
                    .append(json(item.getProductName())).append(",\"category\":").append(json(item.getCategory()))
                    .append(",\"category_id\":").append(json(item.getCategoryId())).append(",\"unit_price\":")
                    .append(decimal(item.getUnitPrice()).toPlainString()).append(",\"quantity\":").append(item.getQuantity()).append('}');
        }
        items.append(']');
        return before.then(Sql.update(c, """
                        INSERT INTO purchase_fact (store_id, transaction_id, contact_id, visitor_id, cart_id, currency_code, revenue,
                            occur_time, conversion, items)
                        SELECT $1, $2, $3, $4, $5, $6, $7::numeric, $8::timestamptz, $9, $10::jsonb
                        WHERE $3::text IS NULL OR NOT EXISTS (SELECT 1 FROM suppression WHERE subject = 'contact:' || $3::text)
                        ON CONFLICT (store_id, transaction_id) DO UPDATE SET contact_id = EXCLUDED.contact_id,
                            visitor_id = EXCLUDED.visitor_id, cart_id = EXCLUDED.cart_id, currency_code = EXCLUDED.currency_code,
                            revenue = EXCLUDED.revenue, occur_time = EXCLUDED.occur_time, conversion = EXCLUDED.conversion,
                            items = CASE WHEN jsonb_array_length(EXCLUDED.items) > 0 THEN EXCLUDED.items ELSE purchase_fact.items END
                        """, t.getStoreId(), t.getTransactionId(), contact, emptyToNull(t.getVisitorId()), emptyToNull(t.getCartId()),
                t.getCurrencyCode(), decimal(t.getRevenue()).toPlainString(), ts(t.getOccurTime(), t.hasOccurTime()),
                (short) t.getCartConversionStateValue(), items.toString())).then();
    }

    /**
     * Anyone named by a contact id in the streams is a contact (unless erased). Inserted in id
     * order, like every shared row here, so that the two consumers never deadlock each other.
     */
    private static Mono<Void> ensureContacts(Connection c, List<String> contactIds) {
        String[] ids = contactIds.stream().filter(id -> id != null && !id.isEmpty()).distinct().sorted().toArray(String[]::new);
        if (ids.length == 0) {
            return Mono.empty();
        }
        return Sql.update(c, "INSERT INTO contact (contact_id, create_time, update_time) SELECT id, now(), now() "
                + "FROM unnest($1::text[]) WITH ORDINALITY AS u(id, o) "
                + "WHERE NOT EXISTS (SELECT 1 FROM suppression WHERE subject = 'contact:' || u.id) ORDER BY o "
                + "ON CONFLICT DO NOTHING", (Object) ids).then();
    }

    /** Recomputes contact_fact for each (contact, store) touched, and the contact's all-stores row. */
    private static Mono<Void> refresh(Connection c, Set<Pair> affected) {
        if (affected.isEmpty()) {
            return Mono.empty();
        }
        List<String> contacts = new ArrayList<>();
        List<String> scopes = new ArrayList<>();
        Set<Pair> seen = new java.util.TreeSet<>(java.util.Comparator.comparing(Pair::contactId).thenComparing(Pair::storeId));
        List<Pair> ordered = new ArrayList<>(affected);
        ordered.sort(java.util.Comparator.comparing(Pair::contactId).thenComparing(Pair::storeId));
        for (Pair p : ordered) {
            for (Pair scoped : List.of(p, new Pair(p.contactId(), ""))) {
                if (seen.add(scoped)) {
                    contacts.add(scoped.contactId());
                    scopes.add(scoped.storeId());
                }
            }
        }
        // The two consumers may refresh one contact at once; each would compute from a snapshot
        // without the other's uncommitted rows and the later commit would win with stale counts.
        // A per-contact lock (in key order, so no deadlock) makes the second wait and recompute.
        Long[] keys = contacts.stream().distinct().map(id -> Sql.lockKey("contact-facts\u0000" + id)).sorted().distinct()
                .toArray(Long[]::new);
        return Sql.query(c, "SELECT count(pg_advisory_xact_lock(k)) AS n FROM unnest($1::bigint[]) WITH ORDINALITY AS t(k, o)",
                        row -> row.get("n", Long.class), (Object) keys)
                .then(Sql.update(c, REFRESH, contacts.toArray(String[]::new), scopes.toArray(String[]::new))).then();
    }

    /** contact_fact of (contact, scope) pairs, computed from cart_fact and purchase_fact. */
    static final String REFRESH = """
            INSERT INTO contact_fact AS cf (contact_id, scope, has_abandoned, last_cart_store_id, last_cart_id, last_total,
                last_currency_code, last_product_count, last_product_names, last_status, last_abandon_time, recovered_count,
                purchase_count, last_purchase_time, url_purchase_count, last_url_purchase_time)
            SELECT k.contact_id, k.scope, l.cart_id IS NOT NULL, l.store_id, l.cart_id, l.total, l.currency_code, l.product_count,
                   CASE WHEN l.cart_id IS NULL THEN NULL
                        ELSE ARRAY(SELECT lower(i->>'product_name') FROM jsonb_array_elements(l.items) i) END,
                   l.status, l.abandon_time,
                   (SELECT count(*) FROM cart_fact r WHERE r.contact_id = k.contact_id AND (k.scope = '' OR r.store_id = k.scope)
                        AND r.recovered),
                   p.n, p.t, up.n, up.t
            FROM (SELECT * FROM unnest($1::text[], $2::text[]) AS u(contact_id, scope)
                  WHERE NOT EXISTS (SELECT 1 FROM suppression WHERE subject = 'contact:' || u.contact_id)) AS k
            LEFT JOIN LATERAL (
                SELECT f.* FROM cart_fact f WHERE f.contact_id = k.contact_id AND (k.scope = '' OR f.store_id = k.scope) AND f.state = 2
                ORDER BY f.abandon_time DESC NULLS LAST, f.store_id DESC, f.cart_id DESC LIMIT 1) l ON true
            CROSS JOIN LATERAL (
                SELECT count(*) AS n, max(x.occur_time) AS t FROM purchase_fact x
                WHERE x.contact_id = k.contact_id AND (k.scope = '' OR x.store_id = k.scope)) p
            CROSS JOIN LATERAL (
                SELECT count(*) AS n, max(u.convert_time) AS t FROM cart_fact u
                WHERE u.contact_id = k.contact_id AND (k.scope = '' OR u.store_id = k.scope) AND u.source = 2
                    AND u.convert_time IS NOT NULL) up
            ON CONFLICT (contact_id, scope) DO UPDATE SET has_abandoned = EXCLUDED.has_abandoned,
                last_cart_store_id = EXCLUDED.last_cart_store_id, last_cart_id = EXCLUDED.last_cart_id,
                last_total = EXCLUDED.last_total, last_currency_code = EXCLUDED.last_currency_code,
                last_product_count = EXCLUDED.last_product_count, last_product_names = EXCLUDED.last_product_names,
                last_status = EXCLUDED.last_status, last_abandon_time = EXCLUDED.last_abandon_time,
                recovered_count = EXCLUDED.recovered_count, purchase_count = EXCLUDED.purchase_count,
                last_purchase_time = EXCLUDED.last_purchase_time, url_purchase_count = EXCLUDED.url_purchase_count,
                last_url_purchase_time = EXCLUDED.last_url_purchase_time
            """;

    /**
     * Removes every fact built from the cart and transaction streams (rebuild). Page-visit facts
     * stay, with their position: the cart service purges raw page views, so their stream cannot
     * be replayed from the start.
     */
    public Uni<Void> clear() {
        return Reactive.uni(database.inTransaction(c -> Sql.update(c, "TRUNCATE cart_fact, purchase_fact, contact_fact")
                .then(Sql.update(c, "UPDATE stream_position SET sequence = 0 WHERE stream IN ($1, $2)", CART, TRANSACTION))
                .thenReturn(true))).replaceWithVoid();
    }

}
