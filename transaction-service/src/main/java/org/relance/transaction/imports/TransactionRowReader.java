package org.relance.transaction.imports;

import java.math.BigDecimal;
import java.time.Instant;
import org.relance.kit.error.Violations;
import org.relance.transaction.catalog.domain.CatalogRules;

/** Rows of a transactions file, with seed 000's limits (those of AddTransaction). */
public final class TransactionRowReader implements RowReader<ImportedTransaction> {
    /** Contact and visitor ids. */
    public static final int PERSON_ID_MAX = 200;

    private final Context context;

    public TransactionRowReader(Context context) {
        this.context = context;
    }

    @Override
    public ImportedTransaction read(CsvRow row) {
        char separator = context.decimalSeparator();
        BigDecimal revenue = row.decimal("revenue", separator, true);
        BigDecimal tax = row.decimal("tax", separator, true);
        BigDecimal shipping = row.decimal("shipping", separator, true);
        Instant occurTime = row.instant("occur_time", context.zone(), true);
        String currency = row.trimmed("currency_code");
        ImportedTransaction t = new ImportedTransaction(row.line(), row.text("transaction_id"), row.text("cart_id"),
                row.text("contact_id"), row.text("visitor_id"), row.text("affiliation"),
                currency == null ? context.currencyCode() : currency, revenue, tax, shipping, occurTime);
        Violations v = new Violations();
        v.requireText("transaction_id", t.transactionId(), CatalogRules.TEXT_MAX);
        v.optionalText("cart_id", t.cartId(), CatalogRules.TEXT_MAX);
        if (context.keyMode() == ImportKeyMode.CONTACT) {
            v.requireText("contact_id", t.contactId(), PERSON_ID_MAX);
        } else {
            v.optionalText("contact_id", t.contactId(), PERSON_ID_MAX);
        }
        v.optionalText("visitor_id", t.visitorId(), PERSON_ID_MAX);
        v.optionalText("affiliation", t.affiliation(), CatalogRules.TEXT_MAX);
        if (currency != null) {
            CatalogRules.checkCurrency("currency_code", currency, v);
        }
        v.amount("revenue", revenue, false, CatalogRules.AMOUNT_MAX);
        v.amount("tax", tax, false, CatalogRules.AMOUNT_MAX);
        v.amount("shipping", shipping, false, CatalogRules.AMOUNT_MAX);
        row.problems(v);
        return row.rejected() ? null : t;
    }

    @Override
    public Object key(ImportedTransaction t) {
        return t.transactionId();
    }
}
