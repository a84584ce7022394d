package org.relance.segment.persistence;

import io.r2dbc.spi.Readable;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;

/** What the console shows: a contact's carts and orders, and a store's recovery statistics. */
@Singleton
public class InsightRepository {
    private final Database database;

    public InsightRepository(Database database) {
        this.database = database;
    }

    /** A purchase of the contact. {@code conversion} is the proto's CartConversionState number (4 recovered). */
    public record PurchaseRow(String storeId, String transactionId, String cartId, String currencyCode, BigDecimal revenue,
                              Instant occurTime, int conversion, String itemsJson, String cartStatus) {
    }

    /** A cart of the contact not (yet) bought: state 1 active, 2 abandoned. */
    public record CartRow(String storeId, String cartId, int state, String status, BigDecimal total, String currencyCode,
                          int episode, Instant updateTime, Instant abandonTime, String itemsJson) {
    }

    /** The contact's last abandoned cart per scope, from contact_fact. */
    public record LastCart(String scope, String storeId, String cartId, BigDecimal total, String currencyCode, int productCount,
                           String status, Instant abandonTime, int recoveredCount) {
    }

    public Uni<List<PurchaseRow>> purchases(String contactId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, """
                        SELECT p.store_id, p.transaction_id, p.cart_id, p.currency_code, p.revenue, p.occur_time, p.conversion,
                               p.items::text AS items, k.status AS cart_status
                        FROM purchase_fact p LEFT JOIN cart_fact k ON k.store_id = p.store_id AND k.cart_id = p.cart_id
                        WHERE p.contact_id = $1 ORDER BY p.occur_time DESC, p.transaction_id
                        """, row -> new PurchaseRow(row.get("store_id", String.class), row.get("transaction_id", String.class),
                        row.get("cart_id", String.class), row.get("currency_code", String.class), row.get("revenue", BigDecimal.class),
                        Sql.instant(row, "occur_time"), row.get("conversion", Short.class), row.get("items", String.class),
                        row.get("cart_status", String.class)), contactId)).collectList());
    }

    public Uni<List<CartRow>> openCarts(String contactId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, """
                        SELECT store_id, cart_id, state, status, total, currency_code, episode, update_time, abandon_time,
                               items::text AS items
                        FROM cart_fact WHERE contact_id = $1 AND state IN (1, 2) ORDER BY update_time DESC, cart_id
                        """, row -> new CartRow(row.get("store_id", String.class), row.get("cart_id", String.class),
                        row.get("state", Short.class), row.get("status", String.class), row.get("total", BigDecimal.class),
                        row.get("currency_code", String.class), row.get("episode", Integer.class), Sql.instant(row, "update_time"),
                        Sql.instant(row, "abandon_time"), row.get("items", String.class)), contactId)).collectList());
    }

    public Uni<List<LastCart>> lastCarts(String contactId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, """
                        SELECT scope, last_cart_store_id, last_cart_id, last_total, last_currency_code, last_product_count, last_status,
                               last_abandon_time, recovered_count
                        FROM contact_fact WHERE contact_id = $1 AND scope <> ''
                        """, row -> new LastCart(row.get("scope", String.class), row.get("last_cart_store_id", String.class),
                        row.get("last_cart_id", String.class), row.get("last_total", BigDecimal.class),
                        row.get("last_currency_code", String.class), nz(row.get("last_product_count", Integer.class)),
                        row.get("last_status", String.class), Sql.instant(row, "last_abandon_time"),
                        nz(row.get("recovered_count", Integer.class))), contactId)).collectList());
    }

    private static int nz(Integer v) {
        return v == null ? 0 : v;
    }

    /** Recovery figures of one local day (or of the whole period when {@code day} is null). */
    public record DayFigures(LocalDate day, long abandoned, long recovered, BigDecimal abandonedValue, BigDecimal recoveredRevenue,
                             Double medianRecoverySeconds, long sentNotifications) {
    }

    /** One abandoned product. */
    public record ProductFigures(String productId, String productName, long carts, long quantity, BigDecimal value, long recovered) {
    }

    private static final String DAYS = """
            SELECT %s AS day, count(*) AS abandoned, count(*) FILTER (WHERE k.recovered) AS recovered,
                   coalesce(sum(k.total), 0) AS abandoned_value,
                   coalesce(sum(p.revenue) FILTER (WHERE k.recovered), 0) AS recovered_revenue,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM k.convert_time - k.abandon_time))
                       FILTER (WHERE k.recovered) AS median_delay,
                   coalesce(sum(s.sent), 0)::bigint AS sent
            FROM cart_fact k
            LEFT JOIN LATERAL (SELECT count(*) AS sent FROM notification n
                               WHERE n.store_id = k.store_id AND n.cart_id = k.cart_id AND n.episode = k.episode AND n.state = 2) s ON true
            LEFT JOIN LATERAL (SELECT sum(x.revenue) AS revenue FROM purchase_fact x
                               WHERE x.store_id = k.store_id AND x.cart_id = k.cart_id) p ON true
            WHERE k.store_id = $1 AND k.abandon_time >= $2 AND k.abandon_time < $3
            %s
            """;

    private static DayFigures day(Readable row, boolean perDay) {
        return new DayFigures(perDay ? row.get("day", LocalDate.class) : null, row.get("abandoned", Long.class),
                row.get("recovered", Long.class), row.get("abandoned_value", BigDecimal.class),
                row.get("recovered_revenue", BigDecimal.class), row.get("median_delay", Double.class), row.get("sent", Long.class));
    }

    /** Per local day of abandonment (in {@code timeZone}), carts abandoned in [start, end). */
    public Uni<List<DayFigures>> days(String storeId, Instant start, Instant end, String timeZone) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                DAYS.formatted("(k.abandon_time AT TIME ZONE $4)::date", "GROUP BY 1 ORDER BY 1"),
                row -> day(row, true), storeId, start, end, timeZone)).collectList());
    }

    public Uni<DayFigures> totals(String storeId, Instant start, Instant end) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, DAYS.formatted("NULL::date", ""),
                row -> day(row, false), storeId, start, end)).next());
    }

    public Uni<List<ProductFigures>> topProducts(String storeId, Instant start, Instant end, int limit) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c, """
                        SELECT i->>'product_id' AS product_id, max(i->>'product_name') AS product_name, count(DISTINCT k.cart_id) AS carts,
                               sum((i->>'quantity')::bigint) AS quantity,
                               sum((i->>'unit_price')::numeric * (i->>'quantity')::numeric) AS value,
                               count(DISTINCT k.cart_id) FILTER (WHERE k.recovered) AS recovered
                        FROM cart_fact k, jsonb_array_elements(k.items) i
                        WHERE k.store_id = $1 AND k.abandon_time >= $2 AND k.abandon_time < $3
                        GROUP BY 1 ORDER BY carts DESC, value DESC, 1 LIMIT $4
                        """, row -> new ProductFigures(row.get("product_id", String.class), row.get("product_name", String.class),
                        row.get("carts", Long.class), row.get("quantity", Number.class).longValue(), row.get("value", BigDecimal.class),
                        row.get("recovered", Long.class)), storeId, start, end, limit)).collectList());
    }
}
