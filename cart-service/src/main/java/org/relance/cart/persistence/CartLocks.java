package org.relance.cart.persistence;

import io.r2dbc.spi.Connection;
import java.util.SortedSet;
import org.relance.kit.db.Sql;
import reactor.core.publisher.Mono;

/**
 * Transaction-scoped advisory locks on cart keys (and submit ids). They serialise writers on
 * the same cart across replicas even before the cart row exists; taking them in sorted order
 * rules out deadlocks between batches.
 */
final class CartLocks {
    private CartLocks() {
    }

    static long key(String storeId, String cartId) {
        return Sql.lockKey("cart\u0000" + storeId + "\u0000" + cartId);
    }

    /**
     * A visitor's key: a submit reads the visitor's contact link and a link rewrites the visitor's
     * carts; without this lock a cart inserted between the two would keep no contact.
     */
    static long visitorKey(String storeId, String visitorId) {
        return Sql.lockKey("visitor\u0000" + storeId + "\u0000" + visitorId);
    }

    static Mono<Void> lockAll(Connection c, SortedSet<Long> keys) {
        if (keys.isEmpty()) {
            return Mono.empty();
        }
        return Sql.query(c, "SELECT count(pg_advisory_xact_lock(k)) AS n FROM unnest($1::bigint[]) WITH ORDINALITY AS t(k, o)",
                row -> row.get("n", Long.class), (Object) keys.toArray(Long[]::new)).then();
    }
}
