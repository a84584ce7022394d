package org.relance.transaction.imports;

import org.relance.kit.error.Violations;
import org.relance.transaction.catalog.domain.CatalogRules;
import org.relance.transaction.catalog.domain.ProductCategory;

/** Rows of a categories file. */
public final class CategoryRowReader implements RowReader<ProductCategory> {
    private final Context context;

    public CategoryRowReader(Context context) {
        this.context = context;
    }

    @Override
    public ProductCategory read(CsvRow row) {
        ProductCategory category = new ProductCategory(context.storeId(), row.text("category_id"), row.text("name"),
                row.text("parent_category_id"), null, null);
        Violations v = new Violations();
        CatalogRules.checkCategory("", category, v);
        row.problems(v);
        return row.rejected() ? null : category;
    }

    @Override
    public Object key(ProductCategory category) {
        return category.categoryId();
    }
}
