package org.relance.transaction.persistence;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Multi;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.List;
import org.relance.kit.db.Database;
import org.relance.kit.events.EventLog;
import org.relance.transaction.domain.Transaction;
import org.relance.transaction.domain.TransactionEventType;
import reactor.core.publisher.Mono;

/** The transaction event log ({@code transaction_event}), see {@link EventLog}. */
@Singleton
public class TransactionEventLog {
    private final EventLog log;

    public TransactionEventLog(Database database) {
        this.log = new EventLog(database, "transaction_event", "transaction_id", "transaction");
    }

    /** A stored transaction event. */
    public record Event(long sequence, TransactionEventType type, Instant occurTime, Transaction transaction) {
    }

    void start(@Observes StartupEvent event) {
        log.start();
    }

    void stop(@Observes ShutdownEvent event) {
        log.stop();
    }

    /** Appends events (type and the transaction after the change) in the caller's transaction. */
    public Mono<Long> append(Connection c, TransactionEventType type, Instant now, List<Transaction> transactions) {
        return log.append(c, transactions.stream().map(t -> new EventLog.NewEvent(type.code(), now, t.storeId(),
                t.transactionId(), TransactionJson.write(t))).toList());
    }

    /** Every event after {@code afterSequence} (optionally of one store), then new ones as they commit. */
    public Multi<Event> watch(long afterSequence, String storeId) {
        return log.watch(afterSequence, storeId, e -> new Event(e.sequence(), TransactionEventType.ofCode(e.type()),
                e.occurTime(), TransactionJson.read(e.payload())));
    }
}
