package org.relance.cart.persistence;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collection;
import org.relance.cart.domain.Cart;
import org.relance.cart.domain.CartSource;
import org.relance.cart.domain.CartState;
import org.relance.cart.domain.ConversionOutcome;
import org.relance.kit.db.Sql;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Reading and writing cart rows, many at a time (one statement for a whole batch). */
final class CartRows {
    static final String COLUMNS = "store_id, cart_id, site_id, visitor_id, contact_id, state, status, total_price, "
            + "currency_code, items::text AS items, episode, recovered, outcome, transaction_id, create_time, update_time, "
            + "abandon_time, convert_time, source";

    private static final String UPSERT = """
            INSERT INTO cart (store_id, cart_id, site_id, visitor_id, contact_id, state, status, total_price, currency_code,
                              items, episode, recovered, outcome, transaction_id, create_time, update_time, abandon_time, convert_time, source)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::text[],
                                 $8::numeric[], $9::text[], $10::jsonb[], $11::integer[], $12::boolean[], $13::smallint[],
                                 $14::text[], $15::timestamptz[], $16::timestamptz[], $17::timestamptz[], $18::timestamptz[], $19::smallint[])
            ON CONFLICT (store_id, cart_id) DO UPDATE SET
                site_id = EXCLUDED.site_id, visitor_id = EXCLUDED.visitor_id, contact_id = EXCLUDED.contact_id,
                state = EXCLUDED.state, status = EXCLUDED.status, total_price = EXCLUDED.total_price,
                currency_code = EXCLUDED.currency_code, items = EXCLUDED.items, episode = EXCLUDED.episode,
                recovered = EXCLUDED.recovered, outcome = EXCLUDED.outcome, transaction_id = EXCLUDED.transaction_id,
                create_time = EXCLUDED.create_time, update_time = EXCLUDED.update_time,
                abandon_time = EXCLUDED.abandon_time, convert_time = EXCLUDED.convert_time, source = EXCLUDED.source
            """;

    private CartRows() {
    }

    static Cart map(Readable row) {
        Short outcome = row.get("outcome", Short.class);
        return new Cart(row.get("store_id", String.class), row.get("cart_id", String.class),
                row.get("site_id", String.class), row.get("visitor_id", String.class), row.get("contact_id", String.class),
                CartState.ofCode(row.get("state", Short.class)), row.get("status", String.class),
                row.get("total_price", BigDecimal.class), row.get("currency_code", String.class),
                CartJson.items(row.get("items", String.class)), row.get("episode", Integer.class),
                Boolean.TRUE.equals(row.get("recovered", Boolean.class)),
                outcome == null ? null : ConversionOutcome.ofCode(outcome), row.get("transaction_id", String.class),
                Sql.instant(row, "create_time"), Sql.instant(row, "update_time"), Sql.instant(row, "abandon_time"),
                Sql.instant(row, "convert_time"), CartSource.ofCode(row.get("source", Short.class)));
    }

    /** Loads the carts named by (store, cart) pairs, locking their rows. */
    static Flux<Cart> lockAll(Connection c, String[] storeIds, String[] cartIds) {
        return Sql.query(c, "SELECT " + COLUMNS + " FROM cart WHERE (store_id, cart_id) IN "
                        + "(SELECT * FROM unnest($1::text[], $2::text[])) FOR UPDATE",
                CartRows::map, storeIds, cartIds);
    }

    /** Inserts or replaces every cart given, in one statement. */
    static Mono<Long> upsertAll(Connection c, Collection<Cart> carts) {
        int n = carts.size();
        String[][] cols = new String[19][n];
        int i = 0;
        for (Cart cart : carts) {
            cols[0][i] = cart.storeId();
            cols[1][i] = cart.cartId();
            cols[2][i] = cart.siteId();
            cols[3][i] = cart.visitorId();
            cols[4][i] = cart.contactId();
            cols[5][i] = Integer.toString(cart.state().code());
            cols[6][i] = cart.status();
            cols[7][i] = cart.totalPrice() == null ? null : cart.totalPrice().toPlainString();
            cols[8][i] = cart.currencyCode();
            cols[9][i] = CartJson.items(cart.items());
            cols[10][i] = Integer.toString(cart.episode());
            cols[11][i] = Boolean.toString(cart.recovered());
            cols[12][i] = cart.outcome() == null ? null : Integer.toString(cart.outcome().code());
            cols[13][i] = cart.transactionId();
            cols[14][i] = text(cart.createTime());
            cols[15][i] = text(cart.updateTime());
            cols[16][i] = text(cart.abandonTime());
            cols[17][i] = text(cart.convertTime());
            cols[18][i] = Integer.toString(cart.source().code());
            i++;
        }
        return Sql.update(c, UPSERT, (Object[]) cols);
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
