package org.relance.transaction.persistence;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.relance.kit.db.Sql;
import org.relance.transaction.domain.CartConversion;
import org.relance.transaction.domain.Transaction;
import org.relance.transaction.domain.TransactionItem;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Reading and writing transaction rows and their items, many at a time. */
final class TransactionRows {
    static final String COLUMNS = "store_id, transaction_id, cart_id, site_id, contact_id, visitor_id, affiliation, "
            + "currency_code, revenue, tax, shipping, occur_time, record_time, cart_conversion";

    private TransactionRows() {
    }

    private record Key(String storeId, String transactionId) {
    }

    /** A transaction row without its items. */
    static Transaction head(Readable row) {
        return new Transaction(row.get("store_id", String.class), row.get("transaction_id", String.class),
                row.get("cart_id", String.class), row.get("site_id", String.class), row.get("contact_id", String.class),
                row.get("visitor_id", String.class), row.get("affiliation", String.class),
                row.get("currency_code", String.class), row.get("revenue", BigDecimal.class), row.get("tax", BigDecimal.class),
                row.get("shipping", BigDecimal.class), List.of(), Sql.instant(row, "occur_time"),
                Sql.instant(row, "record_time"), CartConversion.ofCode(row.get("cart_conversion", Short.class)));
    }

    /** The transactions given, each with its items (one query for all items). */
    static Mono<List<Transaction>> withItems(Connection c, List<Transaction> heads) {
        if (heads.isEmpty()) {
            return Mono.just(List.of());
        }
        String[] stores = heads.stream().map(Transaction::storeId).toArray(String[]::new);
        String[] ids = heads.stream().map(Transaction::transactionId).toArray(String[]::new);
        Map<Key, List<TransactionItem>> items = new HashMap<>();
        return Sql.query(c, "SELECT store_id, transaction_id, product_id, product_name, category, category_id, unit_price, "
                        + "total_price, quantity FROM shop_transaction_item WHERE (store_id, transaction_id) IN "
                        + "(SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY store_id, transaction_id, line",
                row -> {
                    Key key = new Key(row.get("store_id", String.class), row.get("transaction_id", String.class));
                    items.computeIfAbsent(key, k -> new ArrayList<>()).add(new TransactionItem(
                            row.get("product_id", String.class), row.get("product_name", String.class),
                            row.get("category", String.class), row.get("category_id", String.class),
                            row.get("unit_price", BigDecimal.class), row.get("total_price", BigDecimal.class),
                            row.get("quantity", Integer.class)));
                    return key;
                }, stores, ids)
                .then(Mono.fromSupplier(() -> heads.stream().map(t -> new Transaction(t.storeId(), t.transactionId(),
                        t.cartId(), t.siteId(), t.contactId(), t.visitorId(), t.affiliation(), t.currencyCode(), t.revenue(),
                        t.tax(), t.shipping(), items.getOrDefault(new Key(t.storeId(), t.transactionId()), List.of()),
                        t.occurTime(), t.recordTime(), t.conversion())).toList()));
    }

    /** Inserts transactions (and their items) in two statements. */
    static Mono<Long> insertAll(Connection c, List<Transaction> transactions, List<byte[]> fingerprints) {
        int n = transactions.size();
        String[][] cols = new String[15][n];
        List<String[]> itemRows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Transaction t = transactions.get(i);
            cols[0][i] = t.storeId();
            cols[1][i] = t.transactionId();
            cols[2][i] = t.cartId();
            cols[3][i] = t.siteId();
            cols[4][i] = t.contactId();
            cols[5][i] = t.visitorId();
            cols[6][i] = t.affiliation();
            cols[7][i] = t.currencyCode();
            cols[8][i] = t.revenue().toPlainString();
            cols[9][i] = t.tax().toPlainString();
            cols[10][i] = t.shipping().toPlainString();
            cols[11][i] = t.occurTime().toString();
            cols[12][i] = t.recordTime().toString();
            cols[13][i] = Integer.toString(t.conversion().code());
            cols[14][i] = hex(fingerprints.get(i));
            for (int line = 0; line < t.items().size(); line++) {
                TransactionItem item = t.items().get(line);
                itemRows.add(new String[] {t.storeId(), t.transactionId(), Integer.toString(line), item.productId(),
                        item.productName(), item.category(), item.categoryId(), item.unitPrice().toPlainString(),
                        item.totalPrice().toPlainString(), Integer.toString(item.quantity())});
            }
        }
        String[][] items = new String[10][itemRows.size()];
        for (int r = 0; r < itemRows.size(); r++) {
            for (int col = 0; col < 10; col++) {
                items[col][r] = itemRows.get(r)[col];
            }
        }
        Mono<Long> heads = Sql.update(c, "INSERT INTO shop_transaction (" + COLUMNS + ", fingerprint) "
                + "SELECT s, t, ca, si, co, vi, af, cu, re, ta, sh, ot, rt, cc, decode(fp, 'hex') FROM unnest($1::text[], "
                + "$2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[], "
                + "$10::numeric[], $11::numeric[], $12::timestamptz[], $13::timestamptz[], $14::smallint[], $15::text[]) "
                + "AS x(s, t, ca, si, co, vi, af, cu, re, ta, sh, ot, rt, cc, fp)", (Object[]) cols);
        if (itemRows.isEmpty()) {
            return heads;
        }
        return heads.then(Sql.update(c, "INSERT INTO shop_transaction_item (store_id, transaction_id, line, product_id, "
                + "product_name, category, category_id, unit_price, total_price, quantity) SELECT * FROM unnest($1::text[], "
                + "$2::text[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::text[], $8::numeric[], $9::numeric[], "
                + "$10::integer[])", (Object[]) items));
    }

    static Flux<Transaction> select(Connection c, String where, Object... args) {
        return Sql.query(c, "SELECT " + COLUMNS + " FROM shop_transaction WHERE " + where, TransactionRows::head, args);
    }

    static String hex(byte[] bytes) {
        StringBuilder b = new StringBuilder(bytes.length * 2);
        for (byte x : bytes) {
            b.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return b.toString();
    }
}
