package org.relance.transaction.imports;

import java.math.BigDecimal;
import java.util.List;
import org.relance.kit.error.Violations;
import org.relance.transaction.catalog.domain.CatalogRules;

/** Rows of a transaction items file, with seed 000's limits (those of AddItem). */
public final class ItemRowReader implements RowReader<ImportedItem> {
    /** Largest quantity of one line (as for carts). */
    public static final int QUANTITY_MAX = 1_000_000;

    private final Context context;

    public ItemRowReader(Context context) {
        this.context = context;
    }

    @Override
    public ImportedItem read(CsvRow row) {
        char separator = context.decimalSeparator();
        BigDecimal unitPrice = row.decimal("unit_price", separator, true);
        BigDecimal totalPrice = row.decimal("total_price", separator, true);
        Long quantity = row.integer("quantity", true);
        if (quantity != null && (quantity < 1 || quantity > QUANTITY_MAX)) {
            row.problem("quantity", "must be between 1 and " + QUANTITY_MAX + " (got " + quantity + ")");
        }
        ImportedItem item = new ImportedItem(row.line(), row.text("transaction_id"), row.text("contact_id"),
                row.text("product_id"), row.text("product_name"), row.text("category"), row.text("category_id"),
                unitPrice, totalPrice, quantity == null ? 0 : (int) Math.max(0, Math.min(quantity, QUANTITY_MAX)));
        Violations v = new Violations();
        v.requireText("transaction_id", item.transactionId(), CatalogRules.TEXT_MAX);
        if (context.keyMode() == ImportKeyMode.CONTACT) {
            v.requireText("contact_id", item.contactId(), TransactionRowReader.PERSON_ID_MAX);
        } else {
            v.optionalText("contact_id", item.contactId(), TransactionRowReader.PERSON_ID_MAX);
        }
        v.requireText("product_id", item.productId(), CatalogRules.TEXT_MAX);
        v.requireText("product_name", item.productName(), CatalogRules.TEXT_MAX);
        v.optionalText("category", item.category(), CatalogRules.TEXT_MAX);
        v.optionalText("category_id", item.categoryId(), CatalogRules.TEXT_MAX);
        v.amount("unit_price", unitPrice, false, CatalogRules.AMOUNT_MAX);
        v.amount("total_price", totalPrice, false, CatalogRules.AMOUNT_MAX);
        row.problems(v);
        return row.rejected() ? null : item;
    }

    @Override
    public Object key(ImportedItem item) {
        return List.of(item.transactionId(), item.productId());
    }
}
