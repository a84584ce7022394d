package org.relance.transaction.catalog.domain;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * A product of a store's catalogue. Absent optional values are {@code null}; the price and its
 * currency are both present or both absent.
 */
public record Product(String storeId, String productId, String name, String description, String url, String imageUrl,
                      String imageAltText, BigDecimal unitPrice, String currencyCode, String categoryId,
                      Instant createTime, Instant updateTime) {

    /** This product priced in {@code currencyCode} when it has a price without a currency. */
    public Product withDefaultCurrency(String currencyCode) {
        if (unitPrice == null || this.currencyCode != null) {
            return this;
        }
        return new Product(storeId, productId, name, description, url, imageUrl, imageAltText, unitPrice, currencyCode,
                categoryId, createTime, updateTime);
    }
}
