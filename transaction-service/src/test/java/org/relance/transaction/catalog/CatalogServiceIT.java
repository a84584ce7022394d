package org.relance.transaction.catalog;

import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.common.v1.Money;
import org.relance.api.transaction.v1.BatchGetProductsRequest;
import org.relance.api.transaction.v1.BatchGetProductsResponse;
import org.relance.api.transaction.v1.DeleteCategoryRequest;
import org.relance.api.transaction.v1.DeleteProductRequest;
import org.relance.api.transaction.v1.GetCategoryRequest;
import org.relance.api.transaction.v1.GetProductRequest;
import org.relance.api.transaction.v1.ListCategoriesRequest;
import org.relance.api.transaction.v1.ListProductsRequest;
import org.relance.api.transaction.v1.ListProductsResponse;
import org.relance.api.transaction.v1.Product;
import org.relance.api.transaction.v1.ProductCategory;
import org.relance.api.transaction.v1.UpsertCategoriesRequest;
import org.relance.api.transaction.v1.UpsertCategoriesResponse;
import org.relance.api.transaction.v1.UpsertProductsRequest;
import org.relance.api.transaction.v1.UpsertProductsResponse;
import org.relance.transaction.support.CartServiceProcess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.relance.transaction.catalog.CatalogApi.decimal;
import static org.relance.transaction.catalog.CatalogApi.money;
import static org.relance.transaction.catalog.CatalogApi.newId;
import static org.relance.transaction.catalog.CatalogApi.violations;

/** The catalogue over real gRPC, on a real PostgreSQL, with stores from the real cart service. */
@QuarkusTest
@QuarkusTestResource(CartServiceProcess.class)
class CatalogServiceIT {
    private CatalogApi api;
    private String store;

    @BeforeEach
    void setUp() {
        api = new CatalogApi();
        store = api.newStore("EUR");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        api.close();
    }

    @Test
    void productsAreWrittenReadListedAndDeleted() {
        UpsertProductsResponse written = api.catalog.upsertProducts(upsert(store,
                product("lamp-1").setName("Lampe « Arc »").setDescription("Une lampe\nen laiton").setCategoryId("lighting")
                        .setUrl("https://shop.example/p/lamp-1").setImageUrl("https://cdn.shop.example/lamp-1.jpg")
                        .setImageAltText("Lampe en laiton").setUnitPrice(money("129.90", "")).build(),
                product("cable-2").setName("Câble HDMI").setCategoryId("cables").setUnitPrice(money("9.99", "USD")).build(),
                product("gift-3").setName("Carte cadeau").build()));
        assertThat(written.getInsertedCount()).isEqualTo(3);

        Product lamp = api.catalog.getProduct(GetProductRequest.newBuilder().setStoreId(store).setProductId("lamp-1").build())
                .getProduct();
        assertThat(lamp.getStoreId()).isEqualTo(store);
        assertThat(lamp.getDescription()).isEqualTo("Une lampe\nen laiton");
        assertThat(lamp.getImageAltText()).isEqualTo("Lampe en laiton");
        assertThat(lamp.getUnitPrice().getCurrencyCode()).as("the store's currency by default").isEqualTo("EUR");
        assertThat(decimal(lamp.getUnitPrice())).isEqualByComparingTo("129.9");
        assertThat(lamp.getCreateTime()).isEqualTo(lamp.getUpdateTime());

        List<String> seen = new ArrayList<>();
        String token = "";
        do {
            ListProductsResponse page = api.catalog.listProducts(ListProductsRequest.newBuilder().setStoreId(store)
                    .setPageSize(2).setPageToken(token).build());
            assertThat(page.getProductsCount()).isLessThanOrEqualTo(2);
            page.getProductsList().forEach(p -> seen.add(p.getProductId()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        assertThat(seen).containsExactly("cable-2", "gift-3", "lamp-1");
        assertThat(api.catalog.listProducts(ListProductsRequest.newBuilder().setStoreId(store).setCategoryId("cables").build())
                .getProductsList()).extracting(Product::getProductId).containsExactly("cable-2");

        BatchGetProductsResponse batch = api.catalog.batchGetProducts(BatchGetProductsRequest.newBuilder().setStoreId(store)
                .addProductIds("gift-3").addProductIds("nope").addProductIds("lamp-1").addProductIds("gift-3").build());
        assertThat(batch.getProductsList()).extracting(Product::getProductId).containsExactly("gift-3", "lamp-1");
        assertThat(batch.getProducts(0).hasUnitPrice()).isFalse();
        assertThat(batch.getMissingProductIdsList()).containsExactly("nope");

        Product deleted = api.catalog.deleteProduct(DeleteProductRequest.newBuilder().setStoreId(store).setProductId("cable-2")
                .build()).getProduct();
        assertThat(decimal(deleted.getUnitPrice())).isEqualByComparingTo("9.99");
        assertThat(deleted.getUnitPrice().getCurrencyCode()).isEqualTo("USD");
        assertThatThrownBy(() -> api.catalog.getProduct(GetProductRequest.newBuilder().setStoreId(store).setProductId("cable-2")
                .build())).satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
        assertThatThrownBy(() -> api.catalog.deleteProduct(DeleteProductRequest.newBuilder().setStoreId(store)
                .setProductId("cable-2").build())).satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void aRewriteCountsWhatChangedAndKeepsTheUpdateTimeOfWhatDidNot() {
        Product a = product("a").setName("A").setUnitPrice(money("10.50", "EUR")).build();
        Product b = product("b").setName("B").build();
        api.catalog.upsertProducts(upsert(store, a, b));
        Product before = get("a");

        UpsertProductsResponse again = api.catalog.upsertProducts(upsert(store,
                a.toBuilder().setUnitPrice(money("10.5", "")).build(), b.toBuilder().setName("B2").build(),
                product("c").setName("C").build()));
        assertThat(again.getInsertedCount()).isEqualTo(1);
        assertThat(again.getUpdatedCount()).isEqualTo(1);
        assertThat(again.getUnchangedCount()).as("10.50 EUR is 10.5 in the store's currency").isEqualTo(1);
        assertThat(get("a").getUpdateTime()).isEqualTo(before.getUpdateTime());
        assertThat(get("b").getName()).isEqualTo("B2");
        assertThat(get("b").getCreateTime()).isNotEqualTo(get("b").getUpdateTime());
    }

    @Test
    void aRepeatedRequestIdIsAppliedOnceAndRefusedWithOtherContent() {
        UpsertProductsRequest first = upsert(store, product("p1").setName("One").build(), product("p2").setName("Two").build());
        assertThat(api.catalog.upsertProducts(first).getInsertedCount()).isEqualTo(2);
        api.catalog.upsertProducts(upsert(store, product("p1").setName("One, renamed").build()));

        UpsertProductsResponse repeat = api.catalog.upsertProducts(first);
        assertThat(repeat.getInsertedCount()).as("answered as the first time").isEqualTo(2);
        assertThat(get("p1").getName()).as("and not applied again").isEqualTo("One, renamed");

        assertThatThrownBy(() -> api.catalog.upsertProducts(first.toBuilder()
                .setProducts(0, product("p1").setName("Other").build()).build()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.ALREADY_EXISTS));
    }

    @Test
    void everyInvalidProductFieldIsReported() {
        String other = api.newStore("EUR");
        UpsertProductsRequest request = UpsertProductsRequest.newBuilder().setStoreId(store)
                .addProducts(Product.newBuilder().setStoreId(other).setName("x".repeat(501)).setDescription("d".repeat(5001))
                        .setUrl("javascript:alert(1)").setImageUrl("https://cdn.example/" + "i".repeat(2030))
                        .setImageAltText("a".repeat(501)).setCategoryId("c".repeat(501))
                        .setUnitPrice(money("-1", "euro")))
                .addProducts(Product.newBuilder().setProductId("ok").setName("Fine").setUrl("ftp://shop.example/ok")
                        .setUnitPrice(Money.newBuilder().setUnits(1).setNanos(-5)))
                .addProducts(Product.newBuilder().setProductId("ok").setName("Again"))
                .addProducts(Product.newBuilder().setProductId("p-\u0000").setName("Nul"))
                .build();
        assertThatThrownBy(() -> api.catalog.upsertProducts(request)).satisfies(e -> {
            assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(violations(e)).extracting(BadRequest.FieldViolation::getField).containsExactlyInAnyOrder(
                    "request_id",
                    "products[0].store_id", "products[0].product_id", "products[0].name", "products[0].description",
                    "products[0].url", "products[0].image_url", "products[0].image_alt_text", "products[0].category_id",
                    "products[0].unit_price", "products[0].unit_price.currency_code",
                    "products[1].unit_price.nanos", "products[1].url",
                    "products[2].product_id",
                    "products[3].product_id");
        });
        assertThat(api.catalog.listProducts(ListProductsRequest.newBuilder().setStoreId(store).build()).getProductsCount())
                .as("nothing written").isZero();

        assertThatThrownBy(() -> api.catalog.upsertProducts(UpsertProductsRequest.newBuilder().setRequestId(newId("r-"))
                .setStoreId(store).build()))
                .satisfies(e -> assertThat(violations(e)).extracting(BadRequest.FieldViolation::getField).containsExactly("products"));
        UpsertProductsRequest.Builder tooMany = UpsertProductsRequest.newBuilder().setRequestId(newId("r-")).setStoreId(store);
        IntStream.range(0, 1001).forEach(i -> tooMany.addProducts(product("p" + i).setName("P")));
        assertThatThrownBy(() -> api.catalog.upsertProducts(tooMany.build()))
                .satisfies(e -> assertThat(violations(e)).extracting(BadRequest.FieldViolation::getDescription)
                        .containsExactly("at most 1000 per request (got 1001)"));
    }

    @Test
    void anUnknownStoreIsNotFound() {
        assertThatThrownBy(() -> api.catalog.upsertProducts(upsert("no-such-store", product("p").setName("P").build())))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
        assertThatThrownBy(() -> api.catalog.upsertCategories(categories("no-such-store", category("c", "C", ""))))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void categoriesFormATreeWithoutCycles() {
        UpsertCategoriesResponse written = api.catalog.upsertCategories(categories(store,
                category("home", "Maison", ""), category("lighting", "Luminaires", "home"),
                category("lamps", "Lampes", "lighting"), category("orphan", "Orpheline", "not-yet")));
        assertThat(written.getInsertedCount()).isEqualTo(4);
        ProductCategory lamps = api.catalog.getCategory(GetCategoryRequest.newBuilder().setStoreId(store).setCategoryId("lamps")
                .build()).getCategory();
        assertThat(lamps.getParentCategoryId()).isEqualTo("lighting");
        assertThat(lamps.getName()).isEqualTo("Lampes");
        assertThat(api.catalog.listCategories(ListCategoriesRequest.newBuilder().setStoreId(store).setParentCategoryId("home")
                .build()).getCategoriesList()).extracting(ProductCategory::getCategoryId).containsExactly("lighting");
        assertThat(api.catalog.listCategories(ListCategoriesRequest.newBuilder().setStoreId(store).setPageSize(3).build())
                .getNextPageToken()).isNotEmpty();

        assertThatThrownBy(() -> api.catalog.upsertCategories(categories(store, category("home", "Maison", "lamps"))))
                .satisfies(e -> {
                    assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(violations(e)).singleElement().satisfies(v -> {
                        assertThat(v.getField()).isEqualTo("categories[0].parent_category_id");
                        assertThat(v.getDescription()).isEqualTo("makes a cycle: home > lamps > lighting > home");
                    });
                });
        assertThat(api.catalog.getCategory(GetCategoryRequest.newBuilder().setStoreId(store).setCategoryId("home").build())
                .getCategory().getParentCategoryId()).as("nothing changed").isEmpty();

        assertThatThrownBy(() -> api.catalog.upsertCategories(categories(store, category("x", "X", "y"), category("y", "Y", "x"))))
                .satisfies(e -> assertThat(violations(e)).extracting(BadRequest.FieldViolation::getField)
                        .containsExactly("categories[0].parent_category_id", "categories[1].parent_category_id"));

        UpsertCategoriesResponse again = api.catalog.upsertCategories(categories(store,
                category("home", "Maison", ""), category("lighting", "Éclairage", "home")));
        assertThat(again.getUnchangedCount()).isEqualTo(1);
        assertThat(again.getUpdatedCount()).isEqualTo(1);

        assertThat(api.catalog.deleteCategory(DeleteCategoryRequest.newBuilder().setStoreId(store).setCategoryId("lighting")
                .build()).getCategory().getName()).isEqualTo("Éclairage");
        assertThat(api.catalog.getCategory(GetCategoryRequest.newBuilder().setStoreId(store).setCategoryId("lamps").build())
                .getCategory().getParentCategoryId()).as("children keep naming it").isEqualTo("lighting");
        assertThatThrownBy(() -> api.catalog.getCategory(GetCategoryRequest.newBuilder().setStoreId(store)
                .setCategoryId("lighting").build())).satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void everyInvalidCategoryFieldIsReported() {
        assertThatThrownBy(() -> api.catalog.upsertCategories(UpsertCategoriesRequest.newBuilder().setRequestId("r".repeat(101))
                .setStoreId(store)
                .addCategories(category("self", "Self", "self"))
                .addCategories(category("", "x".repeat(501), "p".repeat(501)))
                .addCategories(category("self", "Twice", ""))
                .build()))
                .satisfies(e -> assertThat(violations(e)).extracting(BadRequest.FieldViolation::getField).containsExactlyInAnyOrder(
                        "request_id", "categories[0].parent_category_id", "categories[1].category_id", "categories[1].name",
                        "categories[1].parent_category_id", "categories[2].category_id"));
    }

    @Test
    void readsCheckTheirArguments() {
        assertThatThrownBy(() -> api.catalog.listProducts(ListProductsRequest.newBuilder().setPageSize(-1)
                .setPageToken("not a token").build()))
                .satisfies(e -> assertThat(violations(e)).extracting(BadRequest.FieldViolation::getField)
                        .containsExactlyInAnyOrder("store_id", "page_size", "page_token"));
        assertThatThrownBy(() -> api.catalog.listCategories(ListCategoriesRequest.newBuilder().setStoreId(store).setPageSize(1001)
                .build())).satisfies(e -> assertThat(violations(e)).extracting(BadRequest.FieldViolation::getField)
                .containsExactly("page_size"));
        assertThatThrownBy(() -> api.catalog.batchGetProducts(BatchGetProductsRequest.newBuilder().setStoreId(store).build()))
                .satisfies(e -> assertThat(violations(e)).extracting(BadRequest.FieldViolation::getField)
                        .containsExactly("product_ids"));
        assertThatThrownBy(() -> api.catalog.getProduct(GetProductRequest.newBuilder().setStoreId(store).build()))
                .satisfies(e -> assertThat(violations(e)).extracting(BadRequest.FieldViolation::getField)
                        .containsExactly("product_id"));
        assertThatThrownBy(() -> api.catalog.deleteCategory(DeleteCategoryRequest.newBuilder().setCategoryId("c").build()))
                .satisfies(e -> assertThat(violations(e)).extracting(BadRequest.FieldViolation::getField)
                        .containsExactly("store_id"));
    }

    private Product get(String productId) {
        return api.catalog.getProduct(GetProductRequest.newBuilder().setStoreId(store).setProductId(productId).build()).getProduct();
    }

    private static Product.Builder product(String id) {
        return Product.newBuilder().setProductId(id);
    }

    private static UpsertProductsRequest upsert(String storeId, Product... products) {
        return UpsertProductsRequest.newBuilder().setRequestId(newId("r-")).setStoreId(storeId).addAllProducts(List.of(products)).build();
    }

    private static ProductCategory category(String id, String name, String parent) {
        return ProductCategory.newBuilder().setCategoryId(id).setName(name).setParentCategoryId(parent).build();
    }

    private static UpsertCategoriesRequest categories(String storeId, ProductCategory... categories) {
        return UpsertCategoriesRequest.newBuilder().setRequestId(newId("r-")).setStoreId(storeId)
                .addAllCategories(List.of(categories)).build();
    }

    private static Status.Code code(Throwable e) {
        assertThat(e).isInstanceOf(StatusRuntimeException.class);
        return ((StatusRuntimeException) e).getStatus().getCode();
    }
}
