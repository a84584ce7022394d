package org.relance.transaction.persistence;

import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.time.Instants;

/**
 * The outbox of cart conversions. Due rows are leased (their next attempt pushed past the lease)
 * with {@code SKIP LOCKED}, so several replicas never work on the same one; a lease that expires
 * (the replica died mid-call) makes the row due again. ConvertCart is idempotent, so a second
 * delivery after a lost answer is harmless.
 */
@Singleton
public class PendingConversions {
    private final Database database;
    private final Clock clock;

    public PendingConversions(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    /** A conversion to deliver. */
    public record Pending(String storeId, String transactionId, String cartId, String contactId, Instant occurTime, int attempts) {
    }

    /** Leases up to {@code limit} due conversions for {@code lease}. */
    public Uni<List<Pending>> lease(int limit, Duration lease) {
        Instant now = Instants.now(clock);
        return Reactive.uni(database.inTransaction(c -> Sql.query(c, """
                        UPDATE pending_conversion p SET next_attempt_time = $2, attempts = p.attempts + 1
                        FROM (SELECT store_id, transaction_id FROM pending_conversion WHERE next_attempt_time <= $1
                              ORDER BY next_attempt_time LIMIT $3 FOR UPDATE SKIP LOCKED) due
                        WHERE p.store_id = due.store_id AND p.transaction_id = due.transaction_id
                        RETURNING p.store_id, p.transaction_id, p.cart_id, p.contact_id, p.occur_time, p.attempts
                        """, row -> new Pending(row.get("store_id", String.class), row.get("transaction_id", String.class),
                        row.get("cart_id", String.class), row.get("contact_id", String.class), Sql.instant(row, "occur_time"),
                        row.get("attempts", Integer.class)), now, now.plus(lease), limit)
                .collectList()));
    }

    /** Records a failed attempt; the next one comes after {@code delay}. */
    public Uni<Void> retryLater(Pending p, Duration delay, String error) {
        Instant next = Instants.now(clock).plus(delay);
        return Reactive.uni(database.withConnection(c -> Sql.update(c,
                        "UPDATE pending_conversion SET next_attempt_time = $3, last_error = $4 WHERE store_id = $1 AND transaction_id = $2",
                        p.storeId(), p.transactionId(), next, error.length() > 500 ? error.substring(0, 500) : error)).then());
    }

    /** How many conversions wait (metrics, tests). */
    public Uni<Long> count() {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT count(*) AS n FROM pending_conversion",
                row -> row.get("n", Long.class))).next());
    }
}
