package org.relance.transaction.domain;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A purchase (seed 000's AddTransaction + AddItem + SubmitTransaction; seed 001's Transaction
 * and Item tables). Optional values are null: cart, site, contact, visitor, affiliation.
 */
public record Transaction(String storeId, String transactionId, String cartId, String siteId, String contactId,
                          String visitorId, String affiliation, String currencyCode, BigDecimal revenue, BigDecimal tax,
                          BigDecimal shipping, List<TransactionItem> items, Instant occurTime, Instant recordTime,
                          CartConversion conversion) {

    public Transaction {
        requireNonNull(storeId, "storeId");
        requireNonNull(transactionId, "transactionId");
        requireNonNull(currencyCode, "currencyCode");
        items = List.copyOf(items);
    }

    public Transaction withIdentity(String contact, String visitor) {
        return new Transaction(storeId, transactionId, cartId, siteId, contact, visitor, affiliation, currencyCode, revenue,
                tax, shipping, items, occurTime, recordTime, conversion);
    }

    public Transaction withConversion(CartConversion value) {
        return new Transaction(storeId, transactionId, cartId, siteId, contactId, visitorId, affiliation, currencyCode,
                revenue, tax, shipping, items, occurTime, recordTime, value);
    }

    public Transaction withTimes(Instant occur, Instant record) {
        return new Transaction(storeId, transactionId, cartId, siteId, contactId, visitorId, affiliation, currencyCode,
                revenue, tax, shipping, items, occur, record, conversion);
    }

    /**
     * SHA-256 of what makes a transaction the same one: cart, affiliation, currency, amounts and
     * items (in product order, amounts compared by value). Identity, site and times are left out:
     * a repeat may carry them differently.
     */
    public byte[] fingerprint() {
        StringBuilder b = new StringBuilder();
        part(b, cartId);
        part(b, affiliation);
        part(b, currencyCode);
        part(b, plain(revenue));
        part(b, plain(tax));
        part(b, plain(shipping));
        items.stream().sorted(Comparator.comparing(TransactionItem::productId)).forEach(i -> {
            part(b, i.productId());
            part(b, i.productName());
            part(b, i.category());
            part(b, i.categoryId());
            part(b, plain(i.unitPrice()));
            part(b, plain(i.totalPrice()));
            part(b, Integer.toString(i.quantity()));
        });
        try {
            return MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String plain(BigDecimal value) {
        return value == null ? null : value.stripTrailingZeros().toPlainString();
    }

    private static void part(StringBuilder b, String value) {
        // Length-prefixed, so that no two different contents give the same text.
        if (value == null) {
            b.append("-1:");
        } else {
            b.append(value.length()).append(':').append(value);
        }
    }
}
