package org.relance.transaction.catalog.domain;

import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Currency;
import java.util.Locale;
import org.relance.kit.error.Violations;

/**
 * The limits of products and categories (seed 000's 500 characters for ids and names), shared by
 * the catalogue calls and the CSV import so that both accept exactly the same rows.
 */
public final class CatalogRules {
    /** Product and category ids, names, alt texts (seed 000). */
    public static final int TEXT_MAX = 500;
    /** Product descriptions. */
    public static final int DESCRIPTION_MAX = 5000;
    /** Product page and image URLs. */
    public static final int URL_MAX = 2048;
    /** Store ids (as the cart service defines them). */
    public static final int STORE_ID_MAX = 63;
    /** Request ids. */
    public static final int REQUEST_ID_MAX = 100;
    /** Products or categories in one upsert, ids in one batch read. */
    public static final int BATCH_MAX = 1000;
    /** Largest price accepted (a sanity bound, as for carts). */
    public static final BigDecimal AMOUNT_MAX = new BigDecimal("1000000000000");

    private CatalogRules() {
    }

    /** Adds every problem of {@code p} to {@code v}, fields named {@code prefix + "product_id"} and so on. */
    public static void checkProduct(String prefix, Product p, Violations v) {
        v.requireText(prefix + "product_id", p.productId(), TEXT_MAX);
        v.requireText(prefix + "name", p.name(), TEXT_MAX);
        v.optionalText(prefix + "description", p.description(), DESCRIPTION_MAX);
        checkUrl(prefix + "url", p.url(), v);
        checkUrl(prefix + "image_url", p.imageUrl(), v);
        v.optionalText(prefix + "image_alt_text", p.imageAltText(), TEXT_MAX);
        v.optionalText(prefix + "category_id", p.categoryId(), TEXT_MAX);
        v.amount(prefix + "unit_price", p.unitPrice(), false, AMOUNT_MAX);
        if (p.unitPrice() != null && p.currencyCode() != null) {
            checkCurrency(prefix + "unit_price.currency_code", p.currencyCode(), v);
        }
    }

    /** Adds every problem of {@code c} to {@code v}; cycles through stored parents are checked when writing. */
    public static void checkCategory(String prefix, ProductCategory c, Violations v) {
        v.requireText(prefix + "category_id", c.categoryId(), TEXT_MAX);
        v.requireText(prefix + "name", c.name(), TEXT_MAX);
        v.optionalText(prefix + "parent_category_id", c.parentCategoryId(), TEXT_MAX);
        if (c.categoryId() != null && c.categoryId().equals(c.parentCategoryId())) {
            v.add(prefix + "parent_category_id", "must not be the category itself");
        }
    }

    /** An absolute http or https URL with a host, at most {@link #URL_MAX} characters; null is fine. */
    public static void checkUrl(String field, String url, Violations v) {
        if (url == null) {
            return;
        }
        if (url.length() > URL_MAX) {
            v.add(field, "must be at most " + URL_MAX + " characters (got " + url.length() + ")");
            return;
        }
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null && !uri.getHost().isEmpty()) {
                return;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        v.add(field, "must be an absolute http or https URL such as https://shop.example/p/42");
    }

    /** An ISO 4217 code in upper case. */
    public static void checkCurrency(String field, String code, Violations v) {
        if (!isCurrency(code)) {
            v.add(field, "must be an ISO 4217 currency code such as EUR");
        }
    }

    public static boolean isCurrency(String code) {
        if (code == null || code.length() != 3 || !code.equals(code.toUpperCase(Locale.ROOT))) {
            return false;
        }
        try {
            Currency.getInstance(code);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
