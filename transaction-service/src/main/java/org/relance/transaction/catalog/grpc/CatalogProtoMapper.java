package org.relance.transaction.catalog.grpc;

import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.relance.api.transaction.v1.UpsertCategoriesRequest;
import org.relance.api.transaction.v1.UpsertProductsRequest;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.Moneys;
import org.relance.transaction.catalog.domain.CatalogRules;
import org.relance.transaction.catalog.domain.Product;
import org.relance.transaction.catalog.domain.ProductCategory;

/** Proto messages to and from the catalogue domain. */
final class CatalogProtoMapper {
    static final int PAGE_DEFAULT = 100;
    static final int PAGE_MAX = 1000;

    private CatalogProtoMapper() {
    }

    /** The products of an upsert, validated: every violation is reported at once. */
    static List<Product> toProducts(UpsertProductsRequest request) {
        Violations v = new Violations();
        v.requireText("request_id", request.getRequestId(), CatalogRules.REQUEST_ID_MAX);
        v.requireText("store_id", request.getStoreId(), CatalogRules.STORE_ID_MAX);
        batchSize("products", request.getProductsCount(), v);
        List<Product> products = new ArrayList<>(request.getProductsCount());
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < request.getProductsCount(); i++) {
            org.relance.api.transaction.v1.Product p = request.getProducts(i);
            String prefix = "products[" + i + "].";
            sameStore(prefix, p.getStoreId(), request.getStoreId(), v);
            BigDecimal price = p.hasUnitPrice() ? Moneys.toDecimal(prefix + "unit_price", p.getUnitPrice(), v) : null;
            Product product = new Product(request.getStoreId(), p.getProductId(), p.getName(), emptyToNull(p.getDescription()),
                    emptyToNull(p.getUrl()), emptyToNull(p.getImageUrl()), emptyToNull(p.getImageAltText()), price,
                    price == null ? null : emptyToNull(p.getUnitPrice().getCurrencyCode()), emptyToNull(p.getCategoryId()),
                    null, null);
            CatalogRules.checkProduct(prefix, product, v);
            Integer first = seen.putIfAbsent(p.getProductId(), i);
            if (first != null && !p.getProductId().isEmpty()) {
                v.add(prefix + "product_id", "repeats products[" + first + "]");
            }
            products.add(product);
        }
        v.throwIfAny();
        return products;
    }

    /** The categories of an upsert, validated. */
    static List<ProductCategory> toCategories(UpsertCategoriesRequest request) {
        Violations v = new Violations();
        v.requireText("request_id", request.getRequestId(), CatalogRules.REQUEST_ID_MAX);
        v.requireText("store_id", request.getStoreId(), CatalogRules.STORE_ID_MAX);
        batchSize("categories", request.getCategoriesCount(), v);
        List<ProductCategory> categories = new ArrayList<>(request.getCategoriesCount());
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < request.getCategoriesCount(); i++) {
            org.relance.api.transaction.v1.ProductCategory k = request.getCategories(i);
            String prefix = "categories[" + i + "].";
            sameStore(prefix, k.getStoreId(), request.getStoreId(), v);
            ProductCategory category = new ProductCategory(request.getStoreId(), k.getCategoryId(), k.getName(),
                    emptyToNull(k.getParentCategoryId()), null, null);
            CatalogRules.checkCategory(prefix, category, v);
            Integer first = seen.putIfAbsent(k.getCategoryId(), i);
            if (first != null && !k.getCategoryId().isEmpty()) {
                v.add(prefix + "category_id", "repeats categories[" + first + "]");
            }
            categories.add(category);
        }
        v.throwIfAny();
        return categories;
    }

    private static void batchSize(String field, int count, Violations v) {
        if (count == 0) {
            v.add(field, "at least one is required");
        } else if (count > CatalogRules.BATCH_MAX) {
            v.add(field, "at most " + CatalogRules.BATCH_MAX + " per request (got " + count + ")");
        }
    }

    private static void sameStore(String prefix, String storeId, String requestStoreId, Violations v) {
        if (!storeId.isEmpty() && !storeId.equals(requestStoreId)) {
            v.add(prefix + "store_id", "must be empty or equal to store_id");
        }
    }

    static org.relance.api.transaction.v1.Product toProto(Product p) {
        org.relance.api.transaction.v1.Product.Builder b = org.relance.api.transaction.v1.Product.newBuilder()
                .setStoreId(p.storeId())
                .setProductId(p.productId())
                .setName(p.name())
                .setDescription(nullToEmpty(p.description()))
                .setUrl(nullToEmpty(p.url()))
                .setImageUrl(nullToEmpty(p.imageUrl()))
                .setImageAltText(nullToEmpty(p.imageAltText()))
                .setCategoryId(nullToEmpty(p.categoryId()))
                .setCreateTime(timestamp(p.createTime()))
                .setUpdateTime(timestamp(p.updateTime()));
        if (p.unitPrice() != null) {
            b.setUnitPrice(Moneys.toMoney(p.unitPrice(), p.currencyCode()));
        }
        return b.build();
    }

    static org.relance.api.transaction.v1.ProductCategory toProto(ProductCategory k) {
        return org.relance.api.transaction.v1.ProductCategory.newBuilder()
                .setStoreId(k.storeId())
                .setCategoryId(k.categoryId())
                .setName(k.name())
                .setParentCategoryId(nullToEmpty(k.parentCategoryId()))
                .setCreateTime(timestamp(k.createTime()))
                .setUpdateTime(timestamp(k.updateTime()))
                .build();
    }

    /** SHA-256 of a request without its request id: a repeat must carry the same content. */
    static byte[] fingerprint(Message withoutRequestId) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(withoutRequestId.toByteArray());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static int pageSize(int requested, Violations v) {
        if (requested < 0 || requested > PAGE_MAX) {
            v.add("page_size", "must be between 1 and " + PAGE_MAX + " (0 for the default " + PAGE_DEFAULT + ")");
        }
        return requested <= 0 ? PAGE_DEFAULT : Math.min(requested, PAGE_MAX);
    }

    /** Page tokens carry the last id of the previous page ("k" + id), opaque to callers. */
    static String encodeToken(String lastId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("k" + lastId).getBytes(StandardCharsets.UTF_8));
    }

    static String decodeToken(String token, Violations v) {
        if (token.isEmpty()) {
            return "";
        }
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (decoded.startsWith("k")) {
                return decoded.substring(1);
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        v.add("page_token", "is not a token this service issued");
        return "";
    }

    static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }
}
