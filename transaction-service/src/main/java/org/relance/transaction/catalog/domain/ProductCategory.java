package org.relance.transaction.catalog.domain;

import java.time.Instant;

/** A product category of a store; its parent ({@code null} for a top category) need not exist. */
public record ProductCategory(String storeId, String categoryId, String name, String parentCategoryId,
                              Instant createTime, Instant updateTime) {
}
