package org.relance.transaction.persistence;

import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.error.AlreadyExistsException;
import org.relance.kit.error.NotFoundException;
import org.relance.kit.error.RuleViolationException;
import org.relance.kit.time.Instants;
import org.relance.transaction.domain.CartConversion;
import org.relance.transaction.domain.Transaction;
import org.relance.transaction.domain.TransactionEventType;
import reactor.core.publisher.Mono;

/** Transactions: recording (idempotent, with the pending cart conversion), reads, identity, erasure, statistics. */
@Singleton
public class TransactionRepository {
    /** Reason of the RuleViolation raised for an erased contact or visitor. */
    public static final String CONTACT_SUPPRESSED = "CONTACT_SUPPRESSED";

    private final Database database;
    private final Clock clock;
    private final TransactionEventLog events;

    public TransactionRepository(Database database, Clock clock, TransactionEventLog events) {
        this.database = database;
        this.clock = clock;
        this.events = events;
    }

    /** The stored transaction and whether it had been recorded before this call. */
    public record Recorded(Transaction transaction, boolean alreadyRecorded) {
    }

    /**
     * Records a validated transaction once per (store, transaction id), with a pending conversion
     * of its cart in the same database transaction. A repeat with the same content answers the
     * stored one; other content is ALREADY_EXISTS. Returns after the commit.
     */
    public Uni<Recorded> record(Transaction incoming) {
        Instant now = Instants.now(clock);
        byte[] fingerprint = incoming.fingerprint();
        return Reactive.uni(database.inTransaction(c -> lock(c, incoming.storeId(), incoming.transactionId())
                .then(suppressed(c, incoming.storeId(), incoming.contactId(), incoming.visitorId()))
                .flatMap(blocked -> blocked ? Mono.error(suppressedError()) : contactOf(c, incoming))
                .flatMap(contact -> Sql.query(c, "SELECT " + TransactionRows.COLUMNS + ", encode(fingerprint, 'hex') AS fp "
                                        + "FROM shop_transaction WHERE store_id = $1 AND transaction_id = $2 FOR UPDATE",
                                row -> Map.entry(TransactionRows.head(row), row.get("fp", String.class)),
                                incoming.storeId(), incoming.transactionId())
                        .next().map(Optional::of).defaultIfEmpty(Optional.empty())
                        .flatMap(found -> found.isPresent()
                                ? repeat(c, found.get().getKey(), found.get().getValue(), fingerprint, contact, now)
                                : insert(c, incoming.withIdentity(contact.orElse(null), incoming.visitorId())
                                        .withTimes(incoming.occurTime() == null ? now : Instants.micros(incoming.occurTime()), now)
                                        .withConversion(incoming.cartId() == null ? CartConversion.NO_CART : CartConversion.PENDING),
                                fingerprint, now)))));
    }

    private Mono<Recorded> insert(Connection c, Transaction t, byte[] fingerprint, Instant now) {
        Mono<Long> outbox = t.cartId() == null ? Mono.just(0L) : Sql.update(c,
                "INSERT INTO pending_conversion (store_id, transaction_id, cart_id, contact_id, occur_time, next_attempt_time) "
                        + "VALUES ($1, $2, $3, $4, $5, $6)", t.storeId(), t.transactionId(), t.cartId(), t.contactId(),
                t.occurTime(), now);
        return TransactionRows.insertAll(c, List.of(t), List.of(fingerprint))
                .then(outbox)
                .then(events.append(c, TransactionEventType.RECORDED, now, List.of(t)))
                .thenReturn(new Recorded(t, false));
    }

    private Mono<Recorded> repeat(Connection c, Transaction stored, String storedFingerprint, byte[] fingerprint,
                                  Optional<String> contact, Instant now) {
        if (!storedFingerprint.equals(TransactionRows.hex(fingerprint))) {
            return Mono.error(new AlreadyExistsException("transaction " + stored.transactionId()
                    + " was already recorded with different content (cart, amounts or items)"));
        }
        if (contact.isPresent() && stored.contactId() != null && !stored.contactId().equals(contact.get())) {
            return Mono.error(new AlreadyExistsException("transaction " + stored.transactionId()
                    + " was already recorded for another contact"));
        }
        Mono<Transaction> current = TransactionRows.withItems(c, List.of(stored)).map(l -> l.get(0));
        if (contact.isPresent() && stored.contactId() == null) {
            return Sql.update(c, "UPDATE shop_transaction SET contact_id = $3 WHERE store_id = $1 AND transaction_id = $2",
                            stored.storeId(), stored.transactionId(), contact.get())
                    .then(current)
                    .map(t -> t.withIdentity(contact.get(), t.visitorId()))
                    .flatMap(t -> events.append(c, TransactionEventType.LINKED, now, List.of(t)).thenReturn(new Recorded(t, true)));
        }
        return current.map(t -> new Recorded(t, true));
    }

    private static Mono<Void> lock(Connection c, String storeId, String transactionId) {
        return Sql.query(c, "SELECT pg_advisory_xact_lock($1) IS NULL AS locked",
                row -> true, Sql.lockKey("transaction\u0000" + storeId + "\u0000" + transactionId)).then();
    }

    private static Mono<Boolean> suppressed(Connection c, String storeId, String contactId, String visitorId) {
        List<String> subjects = new ArrayList<>();
        if (contactId != null) {
            subjects.add("contact:" + contactId);
        }
        if (visitorId != null) {
            subjects.add("visitor:" + storeId + ":" + visitorId);
        }
        if (subjects.isEmpty()) {
            return Mono.just(false);
        }
        return Sql.query(c, "SELECT subject FROM suppression WHERE subject = ANY($1::text[])", row -> 1,
                (Object) subjects.toArray(String[]::new)).hasElements();
    }

    private static RuleViolationException suppressedError() {
        return new RuleViolationException(CONTACT_SUPPRESSED, "this contact was erased and is no longer tracked");
    }

    /** The transaction's contact: its own, else the one its visitor was linked to. */
    private static Mono<Optional<String>> contactOf(Connection c, Transaction t) {
        if (t.contactId() != null || t.visitorId() == null) {
            return Mono.just(Optional.ofNullable(t.contactId()));
        }
        return Sql.query(c, "SELECT contact_id FROM visitor_contact WHERE store_id = $1 AND visitor_id = $2",
                        row -> row.get("contact_id", String.class), t.storeId(), t.visitorId())
                .next().map(Optional::of).defaultIfEmpty(Optional.empty())
                .flatMap(contact -> contact.isPresent()
                        ? suppressed(c, t.storeId(), contact.get(), null).flatMap(s -> s ? Mono.error(suppressedError()) : Mono.just(contact))
                        : Mono.just(contact));
    }

    /** One transaction with its items. */
    public Uni<Transaction> get(String storeId, String transactionId) {
        return Reactive.uni(database.withConnection(c -> TransactionRows.select(c, "store_id = $1 AND transaction_id = $2",
                                storeId, transactionId).collectList().flatMap(heads -> TransactionRows.withItems(c, heads)))
                .next()
                .flatMap(list -> list.isEmpty() ? Mono.<Transaction>empty() : Mono.just(list.get(0)))
                .switchIfEmpty(Mono.error(() -> new NotFoundException("transaction " + transactionId + " of store "
                        + storeId + " does not exist"))));
    }

    /** A page of a contact's or visitor's transactions, newest first; {@code storeId} may be null. */
    public Uni<List<Transaction>> list(String storeId, String contactId, String visitorId, int limit, int offset) {
        List<Object> args = new ArrayList<>();
        StringBuilder where = new StringBuilder();
        if (contactId != null) {
            args.add(contactId);
            where.append("contact_id = $1");
        } else {
            args.add(visitorId);
            where.append("visitor_id = $1");
        }
        if (storeId != null) {
            args.add(storeId);
            where.append(" AND store_id = $2");
        }
        where.append(" ORDER BY occur_time DESC, store_id, transaction_id LIMIT ").append(limit).append(" OFFSET ").append(offset);
        return Reactive.uni(database.withConnection(c -> TransactionRows.select(c, where.toString(), args.toArray())
                .collectList().flatMap(heads -> TransactionRows.withItems(c, heads))).next());
    }

    /** Links a visitor to a contact: its transactions now and later. Returns how many changed. */
    public Uni<Integer> link(String storeId, String visitorId, String contactId) {
        Instant now = Instants.now(clock);
        return Reactive.uni(database.inTransaction(c -> suppressed(c, storeId, contactId, visitorId)
                .flatMap(blocked -> blocked ? Mono.error(suppressedError()) : Sql.update(c,
                        "INSERT INTO visitor_contact (store_id, visitor_id, contact_id, link_time) VALUES ($1, $2, $3, $4) "
                                + "ON CONFLICT (store_id, visitor_id) DO UPDATE SET contact_id = EXCLUDED.contact_id, "
                                + "link_time = EXCLUDED.link_time", storeId, visitorId, contactId, now))
                .thenMany(Sql.query(c, "UPDATE shop_transaction SET contact_id = $3 WHERE store_id = $1 AND visitor_id = $2 "
                        + "AND contact_id IS DISTINCT FROM $3 RETURNING " + TransactionRows.COLUMNS, TransactionRows::head,
                        storeId, visitorId, contactId))
                .collectList()
                .flatMap(heads -> TransactionRows.withItems(c, heads))
                .flatMap(linked -> events.append(c, TransactionEventType.LINKED, now, linked).thenReturn(linked.size()))));
    }

    /** What an erasure removed. */
    public record Erasure(long transactions, long items, long visitors) {
    }

    /** Deletes a contact's transactions (and its visitors'), their events, and refuses further tracking. */
    public Uni<Erasure> erase(String contactId) {
        Instant now = Instants.now(clock);
        return Reactive.uni(database.inTransaction(c -> Sql.query(c,
                        "DELETE FROM visitor_contact WHERE contact_id = $1 RETURNING store_id, visitor_id",
                        row -> new String[] {row.get("store_id", String.class), row.get("visitor_id", String.class)}, contactId)
                .collectList()
                .flatMap(visitors -> {
                    List<String> subjects = new ArrayList<>();
                    subjects.add("contact:" + contactId);
                    visitors.forEach(v -> subjects.add("visitor:" + v[0] + ":" + v[1]));
                    String[] vs = visitors.stream().map(v -> v[0]).toArray(String[]::new);
                    String[] vv = visitors.stream().map(v -> v[1]).toArray(String[]::new);
                    String scope = "contact_id = $1 OR (store_id, visitor_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))";
                    return Sql.update(c, "INSERT INTO suppression (subject, erase_time) SELECT s, $2 FROM unnest($1::text[]) AS s "
                                    + "ON CONFLICT (subject) DO NOTHING", subjects.toArray(String[]::new), now)
                            .then(Sql.query(c, "SELECT count(*) AS n FROM shop_transaction_item WHERE (store_id, transaction_id) IN "
                                    + "(SELECT store_id, transaction_id FROM shop_transaction WHERE " + scope + ")",
                                    row -> row.get("n", Long.class), contactId, vs, vv).next())
                            .flatMap(items -> Sql.query(c, "DELETE FROM shop_transaction WHERE " + scope
                                            + " RETURNING store_id, transaction_id", row -> new String[] {row.get("store_id", String.class),
                                            row.get("transaction_id", String.class)}, contactId, vs, vv)
                                    .collectList()
                                    .flatMap(deleted -> {
                                        String[] ds = deleted.stream().map(d -> d[0]).toArray(String[]::new);
                                        String[] di = deleted.stream().map(d -> d[1]).toArray(String[]::new);
                                        List<Transaction> erased = deleted.stream().map(d -> new Transaction(d[0], d[1], null, null,
                                                contactId, null, null, "XXX", BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO,
                                                List.of(), now, now, CartConversion.NO_CART)).toList();
                                        return Sql.update(c, "DELETE FROM transaction_event WHERE (store_id, transaction_id) IN "
                                                        + "(SELECT * FROM unnest($1::text[], $2::text[]))", ds, di)
                                                .then(events.append(c, TransactionEventType.ERASED, now, erased))
                                                .thenReturn(new Erasure(deleted.size(), items, visitors.size()));
                                    }));
                })));
    }

    /** One line of the revenue statistics. */
    public record RevenueLine(String currencyCode, String id, String name, long quantity, BigDecimal revenue, long transactions) {
    }

    /** Totals per currency. */
    public record CurrencyTotal(String currencyCode, long transactions, BigDecimal revenue) {
    }

    /** Revenue statistics of a store over [start, end). */
    public record Statistics(List<CurrencyTotal> totals, List<RevenueLine> products, List<RevenueLine> categories) {
    }

    public Uni<Statistics> statistics(String storeId, Instant start, Instant end, int top) {
        String lines = """
                SELECT currency_code, id, name, quantity, revenue, transactions FROM (
                    SELECT t.currency_code, %1$s AS id, max(%2$s) AS name, sum(i.quantity) AS quantity,
                           sum(i.total_price) AS revenue, count(DISTINCT t.transaction_id) AS transactions,
                           row_number() OVER (PARTITION BY t.currency_code ORDER BY sum(i.total_price) DESC, %1$s) AS rank
                    FROM shop_transaction t JOIN shop_transaction_item i USING (store_id, transaction_id)
                    WHERE t.store_id = $1 AND t.occur_time >= $2 AND t.occur_time < $3
                    GROUP BY t.currency_code, %1$s
                ) ranked WHERE rank <= $4 ORDER BY currency_code, rank
                """;
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT currency_code, count(*) AS n, sum(revenue) AS revenue "
                                + "FROM shop_transaction WHERE store_id = $1 AND occur_time >= $2 AND occur_time < $3 "
                                + "GROUP BY currency_code ORDER BY currency_code",
                        row -> new CurrencyTotal(row.get("currency_code", String.class), row.get("n", Long.class),
                                row.get("revenue", BigDecimal.class)), storeId, start, end)
                .collectList()
                .flatMap(totals -> Sql.query(c, lines.formatted("i.product_id", "i.product_name"), TransactionRepository::line,
                                storeId, start, end, top).collectList()
                        .flatMap(products -> Sql.query(c, lines.formatted("coalesce(i.category_id, '')", "i.category"),
                                        TransactionRepository::line, storeId, start, end, top).collectList()
                                .map(categories -> new Statistics(totals, products, categories))))).next());
    }

    private static RevenueLine line(io.r2dbc.spi.Readable row) {
        Number quantity = row.get("quantity", Number.class);
        return new RevenueLine(row.get("currency_code", String.class), row.get("id", String.class),
                row.get("name", String.class), quantity == null ? 0 : quantity.longValue(),
                row.get("revenue", BigDecimal.class), row.get("transactions", Long.class));
    }

    /** Marks a pending conversion done (the cart service confirmed it), with a CART_CONVERTED event. */
    public Uni<Void> markConverted(String storeId, String transactionId, CartConversion outcome) {
        Instant now = Instants.now(clock);
        return Reactive.uni(database.inTransaction(c -> converted(c, storeId, transactionId, outcome, now).thenReturn(true)))
                .replaceWithVoid();
    }

    private Mono<Void> converted(Connection c, String storeId, String transactionId, CartConversion outcome, Instant now) {
        return Sql.query(c, "UPDATE shop_transaction SET cart_conversion = $3 WHERE store_id = $1 AND transaction_id = $2 "
                                + "RETURNING " + TransactionRows.COLUMNS, TransactionRows::head, storeId, transactionId,
                        (short) outcome.code())
                .collectList()
                .flatMap(heads -> TransactionRows.withItems(c, heads))
                .flatMap(done -> Sql.update(c, "DELETE FROM pending_conversion WHERE store_id = $1 AND transaction_id = $2",
                                storeId, transactionId)
                        .then(events.append(c, TransactionEventType.CART_CONVERTED, now, done)))
                .then();
    }
}
