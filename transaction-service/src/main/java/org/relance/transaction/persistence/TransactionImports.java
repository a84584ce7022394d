package org.relance.transaction.persistence;

import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.time.Instants;
import org.relance.transaction.domain.CartConversion;
import org.relance.transaction.domain.Transaction;
import org.relance.transaction.domain.TransactionEventType;
import org.relance.transaction.imports.BatchResult;
import org.relance.transaction.imports.ImportKeyMode;
import org.relance.transaction.imports.ImportedItem;
import org.relance.transaction.imports.ImportedTransaction;
import org.relance.transaction.imports.RowRejection;
import org.relance.transaction.imports.TransactionImportTarget;
import reactor.core.publisher.Mono;

/**
 * Imported transactions and items (seed 001: "import data from an external file", by primary key
 * or by contact) written through the same tables, outbox and events as recorded ones: a new
 * transaction gets a RECORDED event (and a pending conversion when it names a cart), a changed
 * one an UPDATED event with its fingerprint recomputed, so that a later RecordTransaction of the
 * same purchase is recognised.
 */
@Singleton
public class TransactionImports implements TransactionImportTarget {
    private final Clock clock;
    private final TransactionEventLog events;

    public TransactionImports(Clock clock, TransactionEventLog events) {
        this.clock = clock;
        this.events = events;
    }

    @Override
    public Uni<BatchResult> writeTransactions(String storeId, ImportKeyMode mode, List<ImportedTransaction> rows, Connection c) {
        Instant now = Instants.now(clock);
        String[] ids = rows.stream().map(ImportedTransaction::transactionId).toArray(String[]::new);
        Map<String, Transaction> existing = new HashMap<>();
        return Reactive.uni(TransactionRows.select(c, "store_id = $1 AND transaction_id = ANY($2::text[]) FOR UPDATE", storeId, ids)
                .doOnNext(t -> existing.put(t.transactionId(), t))
                .then(suppressedContacts(c, storeId, rows.stream().map(ImportedTransaction::contactId).toList()))
                .flatMap(suppressed -> {
                    List<RowRejection> rejected = new ArrayList<>();
                    List<Transaction> fresh = new ArrayList<>();
                    List<Transaction> changed = new ArrayList<>();
                    long unchanged = 0;
                    for (ImportedTransaction row : rows) {
                        Transaction old = existing.get(row.transactionId());
                        if (row.contactId() != null && suppressed.contains(row.contactId())) {
                            rejected.add(new RowRejection(row.line(), "contact_id", "this contact was erased and is no longer tracked"));
                            continue;
                        }
                        if (mode == ImportKeyMode.CONTACT && old != null && old.contactId() != null
                                && !old.contactId().equals(row.contactId())) {
                            rejected.add(new RowRejection(row.line(), "transaction_id",
                                    "transaction " + row.transactionId() + " belongs to another contact"));
                            continue;
                        }
                        Transaction incoming = new Transaction(storeId, row.transactionId(), row.cartId(), null,
                                row.contactId() != null ? row.contactId() : old == null ? null : old.contactId(),
                                row.visitorId() != null ? row.visitorId() : old == null ? null : old.visitorId(),
                                row.affiliation(), row.currencyCode(), row.revenue(), row.tax(), row.shipping(), List.of(),
                                Instants.micros(row.occurTime()), old == null ? now : old.recordTime(),
                                old != null ? old.conversion() : row.cartId() == null ? CartConversion.NO_CART : CartConversion.PENDING);
                        if (old == null) {
                            fresh.add(incoming);
                        } else if (sameHead(old, incoming)) {
                            unchanged++;
                        } else {
                            changed.add(incoming);
                        }
                    }
                    long kept = unchanged;
                    return insertFresh(c, fresh, now)
                            .then(updateHeads(c, changed))
                            .then(refresh(c, storeId, changed.stream().map(Transaction::transactionId).toList(), now))
                            .thenReturn(new BatchResult(fresh.size(), changed.size(), kept, rejected));
                }));
    }

    @Override
    public Uni<BatchResult> writeItems(String storeId, ImportKeyMode mode, List<ImportedItem> rows, Connection c) {
        Instant now = Instants.now(clock);
        String[] ids = rows.stream().map(ImportedItem::transactionId).distinct().toArray(String[]::new);
        Map<String, Transaction> owners = new HashMap<>();
        return Reactive.uni(TransactionRows.select(c, "store_id = $1 AND transaction_id = ANY($2::text[]) FOR UPDATE", storeId, ids)
                .doOnNext(t -> owners.put(t.transactionId(), t))
                .then(Mono.defer(() -> {
                    List<RowRejection> rejected = new ArrayList<>();
                    List<ImportedItem> accepted = new ArrayList<>();
                    for (ImportedItem row : rows) {
                        Transaction owner = owners.get(row.transactionId());
                        if (owner == null) {
                            rejected.add(new RowRejection(row.line(), "transaction_id", "transaction " + row.transactionId()
                                    + " does not exist in this store: import the transactions first"));
                        } else if (mode == ImportKeyMode.CONTACT && !Objects.equals(owner.contactId(), row.contactId())) {
                            rejected.add(new RowRejection(row.line(), "contact_id",
                                    "transaction " + row.transactionId() + " belongs to another contact"));
                        } else {
                            accepted.add(row);
                        }
                    }
                    if (accepted.isEmpty()) {
                        return Mono.just(new BatchResult(0, 0, 0, rejected));
                    }
                    int n = accepted.size();
                    String[][] cols = new String[10][n];
                    for (int i = 0; i < n; i++) {
                        ImportedItem r = accepted.get(i);
                        cols[0][i] = storeId;
                        cols[1][i] = r.transactionId();
                        cols[2][i] = Long.toString(Math.min(r.line(), Integer.MAX_VALUE));
                        cols[3][i] = r.productId();
                        cols[4][i] = r.productName();
                        cols[5][i] = r.category();
                        cols[6][i] = r.categoryId();
                        cols[7][i] = r.unitPrice().toPlainString();
                        cols[8][i] = r.totalPrice().toPlainString();
                        cols[9][i] = Integer.toString(r.quantity());
                    }
                    Set<String> touched = new LinkedHashSet<>();
                    long[] counts = new long[2];
                    return Sql.query(c, """
                                    INSERT INTO shop_transaction_item AS i (store_id, transaction_id, line, product_id, product_name,
                                        category, category_id, unit_price, total_price, quantity)
                                    SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[],
                                        $7::text[], $8::numeric[], $9::numeric[], $10::integer[])
                                    ON CONFLICT (store_id, transaction_id, product_id) DO UPDATE SET
                                        product_name = EXCLUDED.product_name, category = EXCLUDED.category,
                                        category_id = EXCLUDED.category_id, unit_price = EXCLUDED.unit_price,
                                        total_price = EXCLUDED.total_price, quantity = EXCLUDED.quantity
                                    WHERE (i.product_name, i.category, i.category_id, i.unit_price, i.total_price, i.quantity)
                                        IS DISTINCT FROM (EXCLUDED.product_name, EXCLUDED.category, EXCLUDED.category_id,
                                                          EXCLUDED.unit_price, EXCLUDED.total_price, EXCLUDED.quantity)
                                    RETURNING i.transaction_id, (xmax = 0) AS inserted
                                    """, row -> {
                                touched.add(row.get("transaction_id", String.class));
                                counts[Boolean.TRUE.equals(row.get("inserted", Boolean.class)) ? 0 : 1]++;
                                return 1;
                            }, (Object[]) cols)
                            .then(Mono.defer(() -> refresh(c, storeId, new ArrayList<>(touched), now)))
                            .then(Mono.fromSupplier(() -> new BatchResult(counts[0], counts[1], n - counts[0] - counts[1], rejected)));
                })));
    }

    private static boolean sameHead(Transaction a, Transaction b) {
        return Objects.equals(a.cartId(), b.cartId()) && Objects.equals(a.contactId(), b.contactId())
                && Objects.equals(a.visitorId(), b.visitorId()) && Objects.equals(a.affiliation(), b.affiliation())
                && a.currencyCode().equals(b.currencyCode()) && same(a.revenue(), b.revenue()) && same(a.tax(), b.tax())
                && same(a.shipping(), b.shipping()) && Objects.equals(a.occurTime(), b.occurTime());
    }

    private static boolean same(BigDecimal a, BigDecimal b) {
        return a == null ? b == null : b != null && a.compareTo(b) == 0;
    }

    private Mono<Void> insertFresh(Connection c, List<Transaction> fresh, Instant now) {
        if (fresh.isEmpty()) {
            return Mono.empty();
        }
        List<Transaction> withCart = fresh.stream().filter(t -> t.cartId() != null).toList();
        Mono<Long> outbox = withCart.isEmpty() ? Mono.just(0L) : Sql.update(c,
                "INSERT INTO pending_conversion (store_id, transaction_id, cart_id, contact_id, occur_time, next_attempt_time) "
                        + "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])",
                withCart.stream().map(Transaction::storeId).toArray(String[]::new),
                withCart.stream().map(Transaction::transactionId).toArray(String[]::new),
                withCart.stream().map(Transaction::cartId).toArray(String[]::new),
                withCart.stream().map(Transaction::contactId).toArray(String[]::new),
                withCart.stream().map(t -> t.occurTime().toString()).toArray(String[]::new),
                withCart.stream().map(t -> now.toString()).toArray(String[]::new));
        return TransactionRows.insertAll(c, fresh, fresh.stream().map(Transaction::fingerprint).toList())
                .then(outbox)
                .then(events.append(c, TransactionEventType.RECORDED, now, fresh))
                .then();
    }

    private static Mono<Void> updateHeads(Connection c, List<Transaction> changed) {
        if (changed.isEmpty()) {
            return Mono.empty();
        }
        return Sql.update(c, """
                UPDATE shop_transaction t SET cart_id = x.ca, contact_id = x.co, visitor_id = x.vi, affiliation = x.af,
                    currency_code = x.cu, revenue = x.re, tax = x.ta, shipping = x.sh, occur_time = x.ot
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                            $8::numeric[], $9::numeric[], $10::numeric[], $11::timestamptz[])
                     AS x(s, id, ca, co, vi, af, cu, re, ta, sh, ot)
                WHERE t.store_id = x.s AND t.transaction_id = x.id
                """,
                changed.stream().map(Transaction::storeId).toArray(String[]::new),
                changed.stream().map(Transaction::transactionId).toArray(String[]::new),
                changed.stream().map(Transaction::cartId).toArray(String[]::new),
                changed.stream().map(Transaction::contactId).toArray(String[]::new),
                changed.stream().map(Transaction::visitorId).toArray(String[]::new),
                changed.stream().map(Transaction::affiliation).toArray(String[]::new),
                changed.stream().map(Transaction::currencyCode).toArray(String[]::new),
                changed.stream().map(t -> t.revenue().toPlainString()).toArray(String[]::new),
                changed.stream().map(t -> t.tax().toPlainString()).toArray(String[]::new),
                changed.stream().map(t -> t.shipping().toPlainString()).toArray(String[]::new),
                changed.stream().map(t -> t.occurTime().toString()).toArray(String[]::new)).then();
    }

    /** Recomputes the fingerprints of changed transactions and writes their UPDATED events. */
    private Mono<Void> refresh(Connection c, String storeId, List<String> transactionIds, Instant now) {
        if (transactionIds.isEmpty()) {
            return Mono.empty();
        }
        return TransactionRows.select(c, "store_id = $1 AND transaction_id = ANY($2::text[])", storeId,
                        transactionIds.toArray(String[]::new))
                .collectList()
                .flatMap(heads -> TransactionRows.withItems(c, heads))
                .flatMap(full -> Sql.update(c, "UPDATE shop_transaction t SET fingerprint = decode(x.fp, 'hex') "
                                        + "FROM unnest($1::text[], $2::text[]) AS x(id, fp) WHERE t.store_id = $3 AND t.transaction_id = x.id",
                                full.stream().map(Transaction::transactionId).toArray(String[]::new),
                                full.stream().map(t -> TransactionRows.hex(t.fingerprint())).toArray(String[]::new), storeId)
                        .then(events.append(c, TransactionEventType.UPDATED, now, full)))
                .then();
    }

    private static Mono<Set<String>> suppressedContacts(Connection c, String storeId, List<String> contacts) {
        String[] subjects = contacts.stream().filter(Objects::nonNull).distinct().map(id -> "contact:" + id).toArray(String[]::new);
        if (subjects.length == 0) {
            return Mono.just(Set.of());
        }
        Set<String> found = new HashSet<>();
        return Sql.query(c, "SELECT subject FROM suppression WHERE subject = ANY($1::text[])", row -> {
                    found.add(row.get("subject", String.class).substring("contact:".length()));
                    return 1;
                }, (Object) subjects)
                .then(Mono.just(found));
    }
}
