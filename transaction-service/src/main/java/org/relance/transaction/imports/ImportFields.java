package org.relance.transaction.imports;

import java.util.List;
import java.util.Locale;

/**
 * The fields of each kind of import. Header names are compared after {@link #normalize}: case,
 * spaces, {@code _} and {@code -} do not matter, so {@code Price_unit}, {@code price unit} and
 * {@code priceunit} are one name.
 */
public final class ImportFields {
    private static final List<ImportField> TRANSACTIONS = List.of(
            ImportField.required("transaction_id", "idTransaction"),
            ImportField.optional("cart_id", "idCart"),
            ImportField.contact(),
            ImportField.optional("visitor_id", "idVisitor"),
            ImportField.optional("affiliation"),
            ImportField.optional("currency_code", "currency"),
            ImportField.required("revenue"),
            ImportField.required("tax"),
            ImportField.required("shipping"),
            ImportField.required("occur_time", "date", "transaction_date"));

    private static final List<ImportField> ITEMS = List.of(
            ImportField.required("transaction_id", "idTransaction"),
            ImportField.contact(),
            ImportField.required("product_id", "idProduct"),
            ImportField.required("product_name", "productName"),
            ImportField.optional("category"),
            ImportField.optional("category_id", "idCategory"),
            ImportField.required("unit_price", "Price_unit", "priceunit"),
            ImportField.required("total_price", "Price_total"),
            ImportField.required("quantity", "qty"));

    private static final List<ImportField> PRODUCTS = List.of(
            ImportField.required("product_id", "idProduct"),
            ImportField.required("name", "productName", "product_name"),
            ImportField.optional("category_id", "idCategory"),
            ImportField.optional("url", "product_url"),
            ImportField.optional("image_url"),
            ImportField.optional("image_alt_text", "image_alt"),
            ImportField.optional("unit_price", "Price_unit", "priceunit", "price"),
            ImportField.optional("currency_code", "currency"),
            ImportField.optional("description"));

    private static final List<ImportField> CATEGORIES = List.of(
            ImportField.required("category_id", "idCategory"),
            ImportField.required("name", "category", "category_name"),
            ImportField.optional("parent_category_id", "idParentCategory", "parent_id"));

    private ImportFields() {
    }

    /** The fields of {@code kind}, in documentation order. */
    public static List<ImportField> of(ImportKind kind) {
        return switch (kind) {
            case TRANSACTIONS -> TRANSACTIONS;
            case ITEMS -> ITEMS;
            case PRODUCTS -> PRODUCTS;
            case CATEGORIES -> CATEGORIES;
        };
    }

    /** The field names of {@code kind}. */
    public static List<String> names(ImportKind kind) {
        return of(kind).stream().map(ImportField::name).toList();
    }

    /** A header name reduced to lower-case letters and digits. */
    public static String normalize(String header) {
        StringBuilder b = new StringBuilder(header.length());
        for (int i = 0; i < header.length(); i++) {
            char ch = header.charAt(i);
            if (Character.isLetterOrDigit(ch)) {
                b.append(Character.toLowerCase(ch));
            }
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }
}
