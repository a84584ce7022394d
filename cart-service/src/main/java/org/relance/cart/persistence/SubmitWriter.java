package org.relance.cart.persistence;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.relance.cart.config.CartConfig;
import org.relance.cart.domain.Cart;
import org.relance.cart.domain.CartOperation;
import org.relance.cart.domain.CartRules;
import org.relance.cart.domain.Submit;
import org.relance.cart.domain.SubmitResult;
import org.relance.cart.persistence.GroupCommit.Pending;
import org.relance.kit.db.Database;
import org.relance.kit.time.Instants;
import org.relance.kit.db.Sql;
import org.relance.kit.error.AlreadyExistsException;
import org.relance.kit.error.NotFoundException;
import org.relance.kit.error.RuleViolationException;
import org.relance.kit.error.Violations;
import reactor.core.publisher.Mono;

/**
 * Applies submits with group commit: submits that arrive while commits are in flight are
 * written together in the next transaction (a handful of multi-row statements whatever their
 * number), and each caller is answered only after that commit. A submit that breaks a rule
 * fails alone; the others of its batch still commit.
 */
@Singleton
public class SubmitWriter {
    /** Reason of the RuleViolation raised for an erased contact or visitor. */
    public static final String CONTACT_SUPPRESSED = "CONTACT_SUPPRESSED";

    private final Database database;
    private final Clock clock;
    private final GroupCommit<Submit, SubmitResult> commits;
    private final Counter applied;
    private final Counter refused;
    private final DistributionSummary batchSizes;

    private final CartEventLog events;

    public SubmitWriter(Database database, Clock clock, CartConfig config, MeterRegistry registry, CartEventLog events) {
        this.database = database;
        this.events = events;
        this.clock = clock;
        this.applied = Counter.builder("relance.cart.submits").tag("outcome", "applied")
                .description("Submits answered with success (repeats included)").register(registry);
        this.refused = Counter.builder("relance.cart.submits").tag("outcome", "refused")
                .description("Submits refused by a rule").register(registry);
        this.batchSizes = DistributionSummary.builder("relance.cart.submit.batch.size")
                .description("Submits written per group-commit transaction").register(registry);
        // With two writers, the next batch reads while the previous one commits; submits of one cart
        // in both are ordered by the cart's advisory lock.
        this.commits = new GroupCommit<>("submit", database, config.maxSubmitBatch(), config.submitWriters(),
                SubmitResult.class, this::writeIn, batchSizes::record, outcome -> {
                    if (outcome instanceof SubmitResult) {
                        applied.increment();
                    } else if (outcome instanceof Throwable) {
                        refused.increment();
                    }
                });
    }

    private record Key(String storeId, String id) {
    }

    private record Applied(String fingerprintHex, SubmitResult result) {
    }

    /** Applies a validated submit; completes after its transaction committed. */
    public Uni<SubmitResult> apply(Submit submit) {
        return commits.submit(submit);
    }

    private Mono<Boolean> writeIn(Connection c, List<Pending<Submit, SubmitResult>> batch,
                                  Map<Pending<Submit, SubmitResult>, Object> outcomes) {
        Instant now = Instants.now(clock);
        TreeSet<Long> lockKeys = new TreeSet<>();
        Set<String> storeIds = new LinkedHashSet<>();
        Set<Key> cartKeys = new LinkedHashSet<>();
        Set<Key> submitKeys = new LinkedHashSet<>();
        Set<Key> visitorKeys = new LinkedHashSet<>();
        Set<String> subjects = new LinkedHashSet<>();
        for (Pending<Submit, SubmitResult> p : batch) {
            Submit s = p.request();
            storeIds.add(s.storeId());
            submitKeys.add(new Key(s.storeId(), s.submitId()));
            lockKeys.add(Sql.lockKey("submit\u0000" + s.storeId() + "\u0000" + s.submitId()));
            for (CartOperation op : s.operations()) {
                if (cartKeys.add(new Key(s.storeId(), op.cartId()))) {
                    lockKeys.add(CartLocks.key(s.storeId(), op.cartId()));
                }
            }
            if (s.visitorId() != null) {
                if (visitorKeys.add(new Key(s.storeId(), s.visitorId()))) {
                    lockKeys.add(CartLocks.visitorKey(s.storeId(), s.visitorId()));
                }
                subjects.add(Suppression.visitor(s.storeId(), s.visitorId()));
            }
            if (s.contactId() != null) {
                subjects.add(Suppression.contact(s.contactId()));
            }
        }
        Map<Key, Applied> applied = new HashMap<>();
        Map<String, String> currencies = new HashMap<>();
        Set<String> suppressed = new HashSet<>();
        Map<Key, String> visitorContacts = new HashMap<>();
        Map<Key, Cart> carts = new HashMap<>();
        Map<Key, List<Cart>> urlCarts = new HashMap<>();

        Mono<Void> reads = CartLocks.lockAll(c, lockKeys)
                .thenMany(Sql.query(c, "SELECT s.store_id, s.submit_id, encode(s.fingerprint, 'hex') AS fp, s.cart_ids, "
                                + "s.apply_time FROM cart_submit s WHERE (s.store_id, s.submit_id) IN "
                                + "(SELECT * FROM unnest($1::text[], $2::text[]))",
                        row -> {
                            Key k = new Key(row.get("store_id", String.class), row.get("submit_id", String.class));
                            applied.put(k, new Applied(row.get("fp", String.class), new SubmitResult(k.id(),
                                    Arrays.asList(row.get("cart_ids", String[].class)), Sql.instant(row, "apply_time"))));
                            return k;
                        }, stores(submitKeys), ids(submitKeys)))
                .thenMany(Sql.query(c, "SELECT store_id, currency_code FROM store WHERE store_id = ANY($1::text[])",
                        row -> {
                            String storeId = row.get("store_id", String.class);
                            currencies.put(storeId, row.get("currency_code", String.class));
                            return storeId;
                        },
                        (Object) storeIds.toArray(String[]::new)))
                .thenMany(subjects.isEmpty() ? Mono.empty() : Sql.query(c,
                        "SELECT subject FROM suppression WHERE subject = ANY($1::text[])",
                        row -> suppressed.add(row.get("subject", String.class)), (Object) subjects.toArray(String[]::new)))
                .thenMany(visitorKeys.isEmpty() ? Mono.empty() : Sql.query(c,
                        "SELECT store_id, visitor_id, contact_id FROM visitor_contact WHERE (store_id, visitor_id) IN "
                                + "(SELECT * FROM unnest($1::text[], $2::text[]))",
                        row -> {
                            Key k = new Key(row.get("store_id", String.class), row.get("visitor_id", String.class));
                            visitorContacts.put(k, row.get("contact_id", String.class));
                            return k;
                        }, stores(visitorKeys), ids(visitorKeys)))
                .thenMany(CartRows.lockAll(c, stores(cartKeys), ids(cartKeys))
                        .doOnNext(cart -> carts.put(new Key(cart.storeId(), cart.cartId()), cart)))
                .thenMany(visitorKeys.isEmpty() ? Mono.empty() : Sql.query(c, "SELECT " + CartRows.COLUMNS + " FROM cart "
                                + "WHERE (store_id, visitor_id) IN (SELECT * FROM unnest($1::text[], $2::text[])) "
                                + "AND source = 2 AND state IN (1, 2) FOR UPDATE", CartRows::map, stores(visitorKeys), ids(visitorKeys))
                        .doOnNext(cart -> urlCarts.computeIfAbsent(new Key(cart.storeId(), cart.visitorId()), k -> new ArrayList<>())
                                .add(cart)))
                .then();

        return reads.then(Mono.defer(() -> {
            Map<Key, Cart> dirty = new LinkedHashMap<>();
            List<CartEventLog.NewEvent> newEvents = new ArrayList<>();
            List<Pending<Submit, SubmitResult>> fresh = new ArrayList<>();
            for (Pending<Submit, SubmitResult> p : batch) {
                try {
                    SubmitResult result = applyOne(p.request(), now, applied, currencies, suppressed, visitorContacts,
                            carts, dirty, newEvents);
                    outcomes.put(p, result);
                    if (result.applyTime() == now) {
                        fresh.add(p);
                    }
                } catch (RuntimeException e) {
                    outcomes.put(p, e);
                }
            }
            if (fresh.isEmpty()) {
                return Mono.just(false);
            }
            List<Cart> superseded = supersede(fresh, urlCarts, dirty, now, newEvents);
            return CartRows.upsertAll(c, dirty.values())
                    .then(superseded.isEmpty() ? Mono.empty() : Sql.update(c, "DELETE FROM cart WHERE (store_id, cart_id) IN "
                                    + "(SELECT * FROM unnest($1::text[], $2::text[]))",
                            superseded.stream().map(Cart::storeId).toArray(String[]::new),
                            superseded.stream().map(Cart::cartId).toArray(String[]::new)))
                    .then(insertSubmits(c, fresh, outcomes))
                    .then(events.append(c, newEvents))
                    .thenReturn(true);
        }));
    }

    /**
     * A visitor's cart calls replace its URL-tracked cart (opened by a cart-page view, seed 004):
     * one visit never has two carts. The URL-tracked cart is deleted with an ERASED event.
     */
    private static List<Cart> supersede(List<Pending<Submit, SubmitResult>> fresh, Map<Key, List<Cart>> urlCarts, Map<Key, Cart> dirty, Instant now,
                                        List<CartEventLog.NewEvent> newEvents) {
        List<Cart> superseded = new ArrayList<>();
        Set<Key> done = new HashSet<>();
        for (Pending<Submit, SubmitResult> p : fresh) {
            Submit s = p.request();
            if (s.visitorId() == null || !done.add(new Key(s.storeId(), s.visitorId()))) {
                continue;
            }
            for (Cart cart : urlCarts.getOrDefault(new Key(s.storeId(), s.visitorId()), List.of())) {
                if (dirty.containsKey(new Key(cart.storeId(), cart.cartId()))) {
                    continue;
                }
                superseded.add(cart);
                Cart bare = Cart.create(cart.storeId(), cart.cartId(), cart.currencyCode(), cart.createTime()).toBuilder()
                        .source(cart.source()).visitorId(cart.visitorId()).contactId(cart.contactId()).updateTime(now).build();
                newEvents.add(new CartEventLog.NewEvent(org.relance.cart.domain.CartEventType.ERASED, now, bare));
            }
        }
        return superseded;
    }

    private SubmitResult applyOne(Submit s, Instant now, Map<Key, Applied> applied, Map<String, String> currencies,
                                  Set<String> suppressed, Map<Key, String> visitorContacts, Map<Key, Cart> carts,
                                  Map<Key, Cart> dirty, List<CartEventLog.NewEvent> events) {
        Key submitKey = new Key(s.storeId(), s.submitId());
        String fingerprint = hex(s.fingerprint());
        Applied previous = applied.get(submitKey);
        if (previous != null) {
            if (!previous.fingerprintHex().equals(fingerprint)) {
                throw new AlreadyExistsException("submit_id " + s.submitId()
                        + " was already used for a submit with different operations");
            }
            return previous.result();
        }
        String currency = currencies.get(s.storeId());
        if (currency == null) {
            throw new NotFoundException("store " + s.storeId() + " does not exist");
        }
        Violations v = new Violations();
        s.currencyFields().forEach((field, code) -> {
            if (!code.equals(currency)) {
                v.add(field, "must be the store's currency " + currency + " (got " + code + ")");
            }
        });
        v.throwIfAny();
        String contactId = s.contactId();
        if (contactId == null && s.visitorId() != null) {
            contactId = visitorContacts.get(new Key(s.storeId(), s.visitorId()));
        }
        if ((contactId != null && suppressed.contains(Suppression.contact(contactId)))
                || (s.visitorId() != null && suppressed.contains(Suppression.visitor(s.storeId(), s.visitorId())))) {
            throw new RuleViolationException(CONTACT_SUPPRESSED, "this contact was erased and is no longer tracked");
        }
        // Work on a private copy so that a failing operation leaves nothing behind.
        Map<Key, Cart> before = new LinkedHashMap<>();
        Map<Key, Cart> work = new LinkedHashMap<>();
        List<CartOperation> ops = s.operations();
        for (int i = 0; i < ops.size(); i++) {
            CartOperation op = ops.get(i);
            Key key = new Key(s.storeId(), op.cartId());
            if (!work.containsKey(key)) {
                Cart existing = carts.get(key);
                before.put(key, existing);
                work.put(key, existing);
            }
            Cart next = CartRules.apply(work.get(key), op, i, s.storeId(), currency, now);
            work.put(key, next);
        }
        List<String> cartIds = new ArrayList<>();
        for (Map.Entry<Key, Cart> e : work.entrySet()) {
            Cart cart = e.getValue().toBuilder()
                    .siteId(s.siteId() != null ? s.siteId() : e.getValue().siteId())
                    .visitorId(s.visitorId() != null ? s.visitorId() : e.getValue().visitorId())
                    .contactId(contactId != null ? contactId : e.getValue().contactId())
                    .build();
            carts.put(e.getKey(), cart);
            dirty.put(e.getKey(), cart);
            events.add(new CartEventLog.NewEvent(CartRules.eventFor(before.get(e.getKey())), now, cart));
            cartIds.add(e.getKey().id());
        }
        SubmitResult result = new SubmitResult(s.submitId(), cartIds, now);
        applied.put(submitKey, new Applied(fingerprint, result));
        return result;
    }

    private static Mono<Long> insertSubmits(Connection c, List<Pending<Submit, SubmitResult>> fresh,
                                            Map<Pending<Submit, SubmitResult>, Object> outcomes) {
        int n = fresh.size();
        String[] stores = new String[n];
        String[] ids = new String[n];
        String[] fingerprints = new String[n];
        String[] cartIds = new String[n];
        String[] times = new String[n];
        for (int i = 0; i < n; i++) {
            Pending<Submit, SubmitResult> p = fresh.get(i);
            SubmitResult r = (SubmitResult) outcomes.get(p);
            stores[i] = p.request().storeId();
            ids[i] = p.request().submitId();
            fingerprints[i] = hex(p.request().fingerprint());
            cartIds[i] = textArray(r.cartIds());
            times[i] = r.applyTime().toString();
        }
        return Sql.update(c, "INSERT INTO cart_submit (store_id, submit_id, fingerprint, cart_ids, apply_time) "
                + "SELECT s, i, decode(f, 'hex'), c::text[], t FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
                + "$5::timestamptz[]) AS x(s, i, f, c, t)", stores, ids, fingerprints, cartIds, times);
    }

    /** A PostgreSQL array literal of texts, quoted. */
    private static String textArray(List<String> values) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append('"');
            String v = values.get(i);
            for (int j = 0; j < v.length(); j++) {
                char ch = v.charAt(j);
                if (ch == '"' || ch == '\\') {
                    b.append('\\');
                }
                b.append(ch);
            }
            b.append('"');
        }
        return b.append('}').toString();
    }

    private static String[] stores(Set<Key> keys) {
        return keys.stream().map(Key::storeId).toArray(String[]::new);
    }

    private static String[] ids(Set<Key> keys) {
        return keys.stream().map(Key::id).toArray(String[]::new);
    }

    static String hex(byte[] bytes) {
        StringBuilder b = new StringBuilder(bytes.length * 2);
        for (byte x : bytes) {
            b.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return b.toString();
    }
}
