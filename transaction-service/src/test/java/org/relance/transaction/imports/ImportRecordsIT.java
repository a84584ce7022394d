package org.relance.transaction.imports;

import com.google.protobuf.ByteString;
import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.transaction.v1.BatchGetProductsRequest;
import org.relance.api.transaction.v1.GetCategoryRequest;
import org.relance.api.transaction.v1.GetProductRequest;
import org.relance.api.transaction.v1.ImportColumnMapping;
import org.relance.api.transaction.v1.ImportDecimalSeparator;
import org.relance.api.transaction.v1.ImportKeyMode;
import org.relance.api.transaction.v1.ImportKind;
import org.relance.api.transaction.v1.ImportRejection;
import org.relance.api.transaction.v1.ImportSettings;
import org.relance.api.transaction.v1.ImportSummary;
import org.relance.api.transaction.v1.ListProductsRequest;
import org.relance.api.transaction.v1.Product;
import org.relance.transaction.catalog.CatalogApi;
import org.relance.transaction.support.CartServiceProcess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.relance.transaction.catalog.CatalogApi.decimal;
import static org.relance.transaction.catalog.CatalogApi.newId;
import static org.relance.transaction.catalog.CatalogApi.violations;

/** CSV imports over the real bidirectional gRPC stream into a real PostgreSQL. */
@QuarkusTest
@QuarkusTestResource(CartServiceProcess.class)
class ImportRecordsIT {

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
    void aGoodFileWithBomQuotingAndTheTrackersNamesIsImported() {
        String file = "\uFEFFidProduct,productName,Price_unit,idCategory,url,description\r\n"
                + "lamp-1,\"Lampe \"\"Arc\"\", laiton\",129.90,lighting,https://shop.example/p/lamp-1,\"Sur deux lignes,\r\navec virgule\"\r\n"
                + "cable-2,Câble HDMI,9.99,cables,,\r\n"
                + "\r\n"
                + "gift-3,Carte cadeau,,,,\"\"\r\n";
        ImportSummary summary = api.importText(products(), file, 7).ok();
        assertThat(summary.getRowCount()).isEqualTo(3);
        assertThat(summary.getInsertedCount()).isEqualTo(3);
        assertThat(summary.getRejectedCount()).isZero();
        assertThat(summary.getApplied()).isTrue();
        assertThat(summary.getStoppedEarly()).isFalse();

        Product lamp = product("lamp-1");
        assertThat(lamp.getName()).isEqualTo("Lampe \"Arc\", laiton");
        assertThat(lamp.getDescription()).isEqualTo("Sur deux lignes,\r\navec virgule");
        assertThat(decimal(lamp.getUnitPrice())).isEqualByComparingTo("129.90");
        assertThat(lamp.getUnitPrice().getCurrencyCode()).isEqualTo("EUR");
        assertThat(lamp.getCategoryId()).isEqualTo("lighting");
        assertThat(product("cable-2").getName()).isEqualTo("Câble HDMI");
        assertThat(product("gift-3").hasUnitPrice()).isFalse();
        assertThat(product("gift-3").getDescription()).isEmpty();
    }

    @Test
    void semicolonsDecimalCommasAndExplicitMappingsAreUnderstood() {
        String file = "Référence;Libellé;Prix;Devise\n"
                + "p1;Théière;\"1234,5\";\n"
                + "p2;Tasse;3,20;USD\n";
        ImportSettings settings = products().toBuilder().setDelimiter(";")
                .setDecimalSeparator(ImportDecimalSeparator.IMPORT_DECIMAL_SEPARATOR_COMMA)
                .addColumnMappings(ImportColumnMapping.newBuilder().setColumn("Référence").setField("product_id"))
                .addColumnMappings(ImportColumnMapping.newBuilder().setColumn("Libellé").setField("name"))
                .addColumnMappings(ImportColumnMapping.newBuilder().setColumn("Prix").setField("unit_price"))
                .addColumnMappings(ImportColumnMapping.newBuilder().setColumn("Devise").setField("currency_code"))
                .build();
        assertThat(api.importText(settings, file, 4096).ok().getInsertedCount()).isEqualTo(2);
        assertThat(decimal(product("p1").getUnitPrice())).isEqualByComparingTo("1234.5");
        assertThat(product("p2").getUnitPrice().getCurrencyCode()).isEqualTo("USD");
        assertThat(decimal(product("p2").getUnitPrice())).isEqualByComparingTo("3.2");
    }

    @Test
    void aRepeatedImportCountsUpdatedAndUnchangedRowsAndARepeatedRequestIdIsNotReadAgain() {
        ImportSettings first = products();
        ImportSummary once = api.importText(first, "product_id,name,unit_price\np1,One,1.00\np2,Two,2.00\np3,Three,3\n", 10).ok();
        assertThat(once.getInsertedCount()).isEqualTo(3);

        ImportSummary twice = api.importText(products(),
                "product_id,name,unit_price\np1,One,1\np2,Two (new),2.00\np3,Three,3.00\np4,Four,4\np4,Four again,4\n", 10).ok();
        assertThat(twice.getRowCount()).isEqualTo(5);
        assertThat(twice.getInsertedCount()).isEqualTo(1);
        assertThat(twice.getUpdatedCount()).as("p2, and p4 written twice").isEqualTo(2);
        assertThat(twice.getUnchangedCount()).isEqualTo(2);
        assertThat(product("p4").getName()).isEqualTo("Four again");

        CatalogApi.ImportOutcome repeat = api.importText(first, "this is not even a CSV file \"", 100);
        assertThat(repeat.ok()).isEqualTo(once);
        assertThat(product("p2").getName()).isEqualTo("Two (new)");

        CatalogApi.ImportOutcome conflicting = api.importText(first.toBuilder().setDelimiter(";").build(), "product_id;name\n", 100);
        assertThat(conflicting.error().getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    }

    @Test
    void wrongTypesAndMissingValuesAreRejectedWithLineAndColumnAndTheOtherRowsApplied() {
        String file = "product_id,name,unit_price,currency_code,url\n"
                + "ok-1,Fine,1.50,,\n"
                + ",No id,abc,EUR,\n"
                + "bad-2,\"Spans\ntwo lines\",-3,euro,ftp://x\n"
                + "bad-3,Too,many,fields,here,!\n"
                + "ok-2,Also fine,,,https://shop.example/ok-2\n";
        ImportSummary summary = api.importText(products(), file, 16).ok();
        assertThat(summary.getRowCount()).isEqualTo(5);
        assertThat(summary.getInsertedCount()).isEqualTo(2);
        assertThat(summary.getRejectedCount()).isEqualTo(3);
        assertThat(summary.getApplied()).isTrue();
        assertThat(summary.getRejectionsList()).extracting(ImportRejection::getLine, ImportRejection::getColumn,
                ImportRejection::getReason).containsExactly(
                tuple(3L, "unit_price", "unit_price must be a number such as 12.50 (got abc)"),
                tuple(3L, "product_id", "product_id is required"),
                tuple(4L, "url", "url must be an absolute http or https URL such as https://shop.example/p/42"),
                tuple(4L, "unit_price", "unit_price must not be negative"),
                tuple(4L, "currency_code", "currency_code must be an ISO 4217 currency code such as EUR"),
                tuple(6L, "", "the row has 6 fields where the header row has 5"));
        assertThat(api.catalog.batchGetProducts(BatchGetProductsRequest.newBuilder().setStoreId(store).addProductIds("ok-1")
                .addProductIds("ok-2").addProductIds("bad-2").build()).getMissingProductIdsList()).containsExactly("bad-2");
    }

    @Test
    void allOrNothingWritesNothingWhenOneRowOfManyBatchesIsBadAndEverythingOtherwise() {
        StringBuilder file = new StringBuilder("product_id,name,unit_price\n");
        for (int i = 1; i <= 2500; i++) {
            file.append("p").append(i).append(",Product ").append(i).append(',').append(i == 2400 ? "free" : "1.25").append('\n');
        }
        ImportSettings settings = products().toBuilder().setAllOrNothing(true).build();
        ImportSummary refused = api.importText(settings, file.toString(), 8192).ok();
        assertThat(refused.getApplied()).isFalse();
        assertThat(refused.getRowCount()).isEqualTo(2500);
        assertThat(refused.getRejectedCount()).isEqualTo(1);
        assertThat(refused.getInsertedCount()).isZero();
        assertThat(refused.getRejections(0).getLine()).isEqualTo(2401);
        assertThat(api.catalog.listProducts(ListProductsRequest.newBuilder().setStoreId(store).build()).getProductsCount())
                .as("the batches written before the bad row were rolled back").isZero();

        ImportSummary partial = api.importText(products(), file.toString(), 8192).ok();
        assertThat(partial.getApplied()).isTrue();
        assertThat(partial.getInsertedCount()).isEqualTo(2499);
        assertThat(partial.getRejectedCount()).isEqualTo(1);

        String fixed = file.toString().replace("p2400,Product 2400,free", "p2400,Product 2400,0");
        ImportSummary accepted = api.importText(settings.toBuilder().setRequestId(newId("imp-")).build(), fixed, 8192).ok();
        assertThat(accepted.getApplied()).isTrue();
        assertThat(accepted.getInsertedCount()).isEqualTo(1);
        assertThat(accepted.getUnchangedCount()).isEqualTo(2499);
        assertThat(decimal(product("p2400").getUnitPrice())).isZero();
    }

    @Test
    void allOrNothingReportsEveryBadRowUpToTheMaximum() {
        StringBuilder file = new StringBuilder("product_id,name\n");
        for (int i = 1; i <= 60; i++) {
            file.append("p").append(i).append(',').append(i % 2 == 0 ? "" : "Name").append('\n');
        }
        ImportSummary summary = api.importText(products().toBuilder().setAllOrNothing(true).setMaxReportedRejections(10).build(),
                file.toString(), 100).ok();
        assertThat(summary.getRejectedCount()).isEqualTo(30);
        assertThat(summary.getRejectionsList()).extracting(ImportRejection::getLine)
                .containsExactly(3L, 5L, 7L, 9L, 11L, 13L, 15L, 17L, 19L, 21L);
        assertThat(summary.getApplied()).isFalse();
    }

    @Test
    void brokenQuotingStopsTheReadingWhereItIsAndKeepsTheRowsBefore() {
        String file = "product_id,name\np1,One\np2,\"Two\"oops\np3,Three\n";
        ImportSummary summary = api.importText(products(), file, 5).ok();
        assertThat(summary.getStoppedEarly()).isTrue();
        assertThat(summary.getInsertedCount()).isEqualTo(1);
        assertThat(summary.getRejectedCount()).isEqualTo(1);
        assertThat(summary.getRejections(0).getLine()).isEqualTo(3);
        assertThat(summary.getRejections(0).getReason()).startsWith("broken quoting");
        assertThat(product("p1").getName()).isEqualTo("One");

        ImportSummary unclosed = api.importText(products().toBuilder().setAllOrNothing(true).build(),
                "product_id,name\np1,One\np2,\"Two\np3,Three\n", 5).ok();
        assertThat(unclosed.getStoppedEarly()).isTrue();
        assertThat(unclosed.getApplied()).isFalse();
        assertThat(unclosed.getRejections(0).getReason()).contains("not closed before the end of the file");
    }

    @Test
    void missingRequiredColumnsRefuseTheImport() {
        CatalogApi.ImportOutcome outcome = api.importText(products(), "idProduct,description\np1,No name column\n", 100);
        assertThat(outcome.error().getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(violations(outcome.error())).extracting(BadRequest.FieldViolation::getField, BadRequest.FieldViolation::getDescription)
                .containsExactly(tuple("header", "a column for name (productName, product_name) is required"));

        CatalogApi.ImportOutcome empty = api.importText(products(), "", 100);
        assertThat(violations(empty.error())).extracting(BadRequest.FieldViolation::getDescription)
                .containsExactly("the file is empty: its first line must be the header row");
    }

    @Test
    void badSettingsAnUnknownStoreAndAMissingSettingsMessageAreRefused() {
        CatalogApi.ImportOutcome bad = api.importText(ImportSettings.newBuilder().setStoreId(store)
                .setKind(ImportKind.IMPORT_KIND_PRODUCTS).setKeyMode(ImportKeyMode.IMPORT_KEY_MODE_CONTACT).setDelimiter(";;")
                .setDefaultCurrencyCode("eur").setMaxReportedRejections(5000).build(), "product_id,name\n", 100);
        assertThat(bad.error().getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(violations(bad.error())).extracting(BadRequest.FieldViolation::getField).containsExactlyInAnyOrder(
                "settings.request_id", "settings.key_mode", "settings.delimiter", "settings.default_currency_code",
                "settings.max_reported_rejections");

        CatalogApi.ImportOutcome unknown = api.importText(products().toBuilder().setStoreId("no-such-store").build(),
                "product_id,name\np,P\n", 100);
        assertThat(unknown.error().getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);

        CatalogApi.ImportOutcome chunkFirst = api.importChunks(ImportSettings.getDefaultInstance(), List.of(ByteString.copyFromUtf8("x"))
                .iterator());
        assertThat(chunkFirst.error().getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void categoriesAreImportedAndARowThatWouldMakeACycleIsRejected() {
        String file = "idCategory,category,idParentCategory\n"
                + "home,Maison,\n"
                + "lighting,Luminaires,home\n"
                + "lamps,Lampes,lighting\n"
                + "home,Maison,lamps\n"
                + "garden,Jardin,\n";
        ImportSummary summary = api.importText(categories(), file, 16).ok();
        assertThat(summary.getInsertedCount()).isEqualTo(4);
        assertThat(summary.getRejectedCount()).isEqualTo(1);
        assertThat(summary.getRejections(0).getLine()).isEqualTo(5);
        assertThat(summary.getRejections(0).getColumn()).isEqualTo("idParentCategory");
        assertThat(summary.getRejections(0).getReason()).isEqualTo("the parent chain makes a cycle: home > lamps > lighting > home");
        assertThat(api.catalog.getCategory(GetCategoryRequest.newBuilder().setStoreId(store).setCategoryId("home").build())
                .getCategory().getParentCategoryId()).isEmpty();
    }

    @Test
    void progressIsReportedWhileTheImportRuns() {
        StringBuilder file = new StringBuilder("product_id,name\n");
        for (int i = 0; i < 1000; i++) {
            file.append("p").append(i).append(",P\n");
        }
        CatalogApi.ImportOutcome outcome = api.importText(products().toBuilder().setProgressInterval(100).build(),
                file.toString(), 512);
        assertThat(outcome.ok().getInsertedCount()).isEqualTo(1000);
        assertThat(outcome.progress()).isNotEmpty();
        assertThat(outcome.progress().get(outcome.progress().size() - 1).getByteCount())
                .isEqualTo(file.toString().getBytes(StandardCharsets.UTF_8).length);
    }

    private Product product(String id) {
        return api.catalog.getProduct(GetProductRequest.newBuilder().setStoreId(store).setProductId(id).build()).getProduct();
    }

    private ImportSettings products() {
        return ImportSettings.newBuilder().setRequestId(newId("imp-")).setStoreId(store).setKind(ImportKind.IMPORT_KIND_PRODUCTS)
                .build();
    }

    private ImportSettings categories() {
        return ImportSettings.newBuilder().setRequestId(newId("imp-")).setStoreId(store).setKind(ImportKind.IMPORT_KIND_CATEGORIES)
                .build();
    }

    private static org.assertj.core.groups.Tuple tuple(Object... values) {
        return org.assertj.core.groups.Tuple.tuple(values);
    }
}
