package org.relance.cart.persistence;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Multi;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.relance.cart.domain.Cart;
import org.relance.cart.domain.CartEvent;
import org.relance.cart.domain.CartEventType;
import org.relance.kit.db.Database;
import org.relance.kit.events.EventLog;
import reactor.core.publisher.Mono;

/** The cart event log ({@code cart_event}): carts as JSON snapshots, see {@link EventLog}. */
@Singleton
public class CartEventLog {
    private final EventLog log;

    public CartEventLog(Database database) {
        this.log = new EventLog(database, "cart_event", "cart_id", "cart");
    }

    /** An event to append: its type and the cart after the change. */
    public record NewEvent(CartEventType type, Instant occurTime, Cart cart) {
    }

    void start(@Observes StartupEvent event) {
        log.start();
    }

    void stop(@Observes ShutdownEvent event) {
        log.stop();
    }

    /** Appends events in the caller's transaction; returns the last sequence (0 when none). */
    Mono<Long> append(Connection c, List<NewEvent> events) {
        List<EventLog.NewEvent> rows = new ArrayList<>(events.size());
        for (NewEvent e : events) {
            rows.add(new EventLog.NewEvent(e.type().code(), e.occurTime(), e.cart().storeId(), e.cart().cartId(),
                    CartJson.snapshot(e.cart())));
        }
        return log.append(c, rows);
    }

    /** SQL of the counter CTE for events written by one statement (see {@link EventLog#counterCte()}). */
    String counterCte() {
        return log.counterCte();
    }

    /** SQL of the notification for events written by one statement. */
    String notifyCall() {
        return log.notifyCall();
    }

    /** Every event after {@code afterSequence} (optionally of one store), then new ones as they commit. */
    public Multi<CartEvent> watch(long afterSequence, String storeId) {
        return log.watch(afterSequence, storeId, e -> new CartEvent(e.sequence(), CartEventType.ofCode(e.type()),
                e.occurTime(), CartJson.cart(e.payload())));
    }
}
