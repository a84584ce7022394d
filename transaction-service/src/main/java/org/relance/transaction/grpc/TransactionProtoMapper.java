package org.relance.transaction.grpc;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import org.relance.api.common.v1.Money;
import org.relance.api.transaction.v1.CartConversionState;
import org.relance.api.transaction.v1.TransactionEventType;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.Moneys;

import static org.relance.kit.grpc.ProtoValues.emptyToNull;
import static org.relance.kit.grpc.ProtoValues.nullToEmpty;
import static org.relance.kit.grpc.ProtoValues.timestamp;
import org.relance.kit.grpc.ProtoValues;

import static org.relance.kit.grpc.ProtoValues.instant;
import org.relance.transaction.domain.CartConversion;
import org.relance.transaction.domain.Transaction;
import org.relance.transaction.domain.TransactionItem;
import org.relance.transaction.persistence.TransactionEventLog;

/** Proto messages to and from the transaction domain. */
final class TransactionProtoMapper {
    private TransactionProtoMapper() {
    }

    /**
     * The transaction of a request, in {@code storeCurrency} unless it names another currency.
     * Amounts must carry no currency or the transaction's.
     */
    static Transaction toDomain(org.relance.api.transaction.v1.Transaction t, String storeCurrency, Violations v) {
        String currency = t.getCurrencyCode().isEmpty() ? storeCurrency : t.getCurrencyCode();
        try {
            if (currency.length() != 3 || !currency.equals(currency.toUpperCase(java.util.Locale.ROOT))) {
                throw new IllegalArgumentException();
            }
            Currency.getInstance(currency);
        } catch (IllegalArgumentException e) {
            v.add("transaction.currency_code", "must be an ISO 4217 currency code such as EUR");
        }
        List<TransactionItem> items = new ArrayList<>();
        for (int i = 0; i < t.getItemsCount(); i++) {
            org.relance.api.transaction.v1.TransactionItem item = t.getItems(i);
            String p = "transaction.items[" + i + "].";
            items.add(new TransactionItem(item.getProductId(), item.getProductName(), emptyToNull(item.getCategory()),
                    emptyToNull(item.getCategoryId()), amount(p + "unit_price", item.hasUnitPrice(), item.getUnitPrice(), currency, v),
                    amount(p + "total_price", item.hasTotalPrice(), item.getTotalPrice(), currency, v), item.getQuantity()));
        }
        return new Transaction(t.getStoreId(), t.getTransactionId(), emptyToNull(t.getCartId()), emptyToNull(t.getSiteId()),
                emptyToNull(t.getContactId()), emptyToNull(t.getVisitorId()), emptyToNull(t.getAffiliation()), currency,
                amount("transaction.revenue", t.hasRevenue(), t.getRevenue(), currency, v),
                amount("transaction.tax", t.hasTax(), t.getTax(), currency, v),
                amount("transaction.shipping", t.hasShipping(), t.getShipping(), currency, v), items,
                t.hasOccurTime() ? ProtoValues.instant(t.getOccurTime(), "transaction.occur_time", v) : null, null, null);
    }

    private static BigDecimal amount(String field, boolean present, Money money, String currency, Violations v) {
        if (!present) {
            return null;
        }
        if (!money.getCurrencyCode().isEmpty() && !money.getCurrencyCode().equals(currency)) {
            v.add(field + ".currency_code", "must be the transaction's currency " + currency + " (got " + money.getCurrencyCode() + ")");
        }
        return Moneys.toDecimal(field, money, v);
    }

    static org.relance.api.transaction.v1.Transaction toProto(Transaction t) {
        org.relance.api.transaction.v1.Transaction.Builder b = org.relance.api.transaction.v1.Transaction.newBuilder()
                .setStoreId(t.storeId())
                .setTransactionId(t.transactionId())
                .setCartId(nullToEmpty(t.cartId()))
                .setSiteId(nullToEmpty(t.siteId()))
                .setContactId(nullToEmpty(t.contactId()))
                .setVisitorId(nullToEmpty(t.visitorId()))
                .setAffiliation(nullToEmpty(t.affiliation()))
                .setCurrencyCode(t.currencyCode())
                .setCartConversionState(toProto(t.conversion()));
        if (t.revenue() != null) {
            b.setRevenue(Moneys.toMoney(t.revenue(), t.currencyCode()));
            b.setTax(Moneys.toMoney(t.tax(), t.currencyCode()));
            b.setShipping(Moneys.toMoney(t.shipping(), t.currencyCode()));
        }
        for (TransactionItem i : t.items()) {
            b.addItems(org.relance.api.transaction.v1.TransactionItem.newBuilder()
                    .setProductId(i.productId())
                    .setProductName(i.productName())
                    .setCategory(nullToEmpty(i.category()))
                    .setCategoryId(nullToEmpty(i.categoryId()))
                    .setUnitPrice(Moneys.toMoney(i.unitPrice(), t.currencyCode()))
                    .setTotalPrice(Moneys.toMoney(i.totalPrice(), t.currencyCode()))
                    .setQuantity(i.quantity()));
        }
        if (t.occurTime() != null) {
            b.setOccurTime(timestamp(t.occurTime()));
        }
        if (t.recordTime() != null) {
            b.setRecordTime(timestamp(t.recordTime()));
        }
        return b.build();
    }

    static CartConversionState toProto(CartConversion c) {
        if (c == null) {
            return CartConversionState.CART_CONVERSION_STATE_NO_CART;
        }
        return switch (c) {
            case NO_CART -> CartConversionState.CART_CONVERSION_STATE_NO_CART;
            case PENDING -> CartConversionState.CART_CONVERSION_STATE_PENDING;
            case CONVERTED -> CartConversionState.CART_CONVERSION_STATE_CONVERTED;
            case RECOVERED -> CartConversionState.CART_CONVERSION_STATE_RECOVERED;
            case UNTRACKED -> CartConversionState.CART_CONVERSION_STATE_UNTRACKED;
        };
    }

    static org.relance.api.transaction.v1.TransactionEvent toProto(TransactionEventLog.Event e) {
        return org.relance.api.transaction.v1.TransactionEvent.newBuilder()
                .setSequence(e.sequence())
                .setType(TransactionEventType.forNumber(e.type().code()))
                .setOccurTime(timestamp(e.occurTime()))
                .setTransaction(toProto(e.transaction()))
                .build();
    }






}
