package org.relance.transaction.imports;

import java.math.BigDecimal;
import org.relance.kit.error.Violations;
import org.relance.transaction.catalog.domain.CatalogRules;
import org.relance.transaction.catalog.domain.Product;

/** Rows of a products file. */
public final class ProductRowReader implements RowReader<Product> {
    private final Context context;

    public ProductRowReader(Context context) {
        this.context = context;
    }

    @Override
    public Product read(CsvRow row) {
        BigDecimal price = row.decimal("unit_price", context.decimalSeparator(), false);
        String currency = row.trimmed("currency_code");
        Product product = new Product(context.storeId(), row.text("product_id"), row.text("name"), row.text("description"),
                row.trimmed("url"), row.trimmed("image_url"), row.text("image_alt_text"), price,
                price == null ? null : currency == null ? context.currencyCode() : currency, row.text("category_id"),
                null, null);
        Violations v = new Violations();
        CatalogRules.checkProduct("", product, v);
        if (!v.isEmpty()) {
            for (var violation : v.exception().violations()) {
                String field = violation.field().equals("unit_price.currency_code") ? "currency_code" : violation.field();
                row.problem(field, violation.description());
            }
        }
        return row.rejected() ? null : product;
    }

    @Override
    public Object key(Product product) {
        return product.productId();
    }
}
