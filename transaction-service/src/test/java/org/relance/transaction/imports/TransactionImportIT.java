package org.relance.transaction.imports;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.transaction.v1.CartConversionState;
import org.relance.api.transaction.v1.GetTransactionRequest;
import org.relance.api.transaction.v1.ImportKind;
import org.relance.api.transaction.v1.ImportRejection;
import org.relance.api.transaction.v1.ImportSettings;
import org.relance.api.transaction.v1.ImportSummary;
import org.relance.api.transaction.v1.RecordTransactionRequest;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionItem;
import org.relance.transaction.support.Apis;
import org.relance.transaction.catalog.CatalogApi;
import org.relance.transaction.support.CartServiceProcess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.relance.transaction.support.Apis.decimal;
import static org.relance.transaction.support.Apis.money;
import static org.relance.transaction.support.Apis.newId;

/** Seed 001's history import: transactions, then their items, by primary key or by contact. */
@QuarkusTest
@QuarkusTestResource(CartServiceProcess.class)
class TransactionImportIT {
    private CatalogApi catalog;
    private Apis api;
    private String store;

    @BeforeEach
    void setUp() {
        catalog = new CatalogApi();
        api = new Apis();
        store = api.newStore(3600);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        catalog.close();
        api.close();
    }

    private ImportSummary importFile(ImportKind kind, org.relance.api.transaction.v1.ImportKeyMode mode, String file) {
        CatalogApi.ImportOutcome outcome = catalog.importText(ImportSettings.newBuilder().setRequestId(newId("imp-"))
                .setStoreId(store).setKind(kind).setKeyMode(mode).build(), file, 64);
        assertThat(outcome.error()).as("import refused").isNull();
        return outcome.summary();
    }

    private Transaction get(String id) {
        return api.transactions.getTransaction(GetTransactionRequest.newBuilder().setStoreId(store).setTransactionId(id).build())
                .getTransaction();
    }

    @Test
    void transactionsThenItemsAreImportedAndARepeatOfTheSamePurchaseIsRecognised() {
        String t1 = newId("T-");
        String t2 = newId("T-");
        String cart = newId("cart-");
        ImportSummary transactions = importFile(ImportKind.IMPORT_KIND_TRANSACTIONS,
                org.relance.api.transaction.v1.ImportKeyMode.IMPORT_KEY_MODE_PRIMARY_KEY,
                "idTransaction,idCart,IdContact,revenue,tax,shipping,date\n"
                        + t1 + ",," + "alice,155,23.25,7.99,2024-05-01T10:15:00Z\n"
                        + t2 + "," + cart + ",bob,\"12,50\",0,0,2024-05-02\n");
        assertThat(transactions.getInsertedCount()).isEqualTo(1);
        assertThat(transactions.getRejectionsList()).singleElement().satisfies(r -> {
            assertThat(r.getLine()).isEqualTo(3);
            assertThat(r.getColumn()).isEqualTo("revenue");
        });
        assertThat(transactions.getRejectedCount()).isEqualTo(1);

        ImportSummary fixed = importFile(ImportKind.IMPORT_KIND_TRANSACTIONS,
                org.relance.api.transaction.v1.ImportKeyMode.IMPORT_KEY_MODE_PRIMARY_KEY,
                "idTransaction,idCart,IdContact,revenue,tax,shipping,date\n"
                        + t1 + ",,alice,155,23.25,7.99,2024-05-01T10:15:00Z\n"
                        + t2 + "," + cart + ",bob,12.50,0,0,2024-05-02\n");
        assertThat(fixed.getInsertedCount()).isEqualTo(1);
        assertThat(fixed.getUnchangedCount()).isEqualTo(1);

        ImportSummary items = importFile(ImportKind.IMPORT_KIND_ITEMS,
                org.relance.api.transaction.v1.ImportKeyMode.IMPORT_KEY_MODE_PRIMARY_KEY,
                "idTransaction,idProduct,productName,category,idCategory,Price_unit,Price_total,quantity\n"
                        + t1 + ",4976,HUB-USB 48 ports,Accessoire PC,79,80,80,1\n"
                        + t1 + ",13745,câble HDMI,Câbles,17,37.50,75,2\n"
                        + "nope,1,Ghost,,,1,1,1\n");
        assertThat(items.getInsertedCount()).isEqualTo(2);
        assertThat(items.getRejectionsList()).singleElement().satisfies(r -> {
            assertThat(r.getLine()).isEqualTo(4);
            assertThat(r.getReason()).contains("nope").contains("import the transactions first");
        });
        ImportSummary again = importFile(ImportKind.IMPORT_KIND_ITEMS,
                org.relance.api.transaction.v1.ImportKeyMode.IMPORT_KEY_MODE_PRIMARY_KEY,
                "idTransaction,idProduct,productName,category,idCategory,Price_unit,Price_total,quantity\n"
                        + t1 + ",4976,HUB-USB 48 ports,Accessoire PC,79,80,80,1\n");
        assertThat(again.getUnchangedCount()).isEqualTo(1);

        Transaction imported = get(t1);
        assertThat(imported.getContactId()).isEqualTo("alice");
        assertThat(imported.getItemsList()).extracting(TransactionItem::getProductId).containsExactly("4976", "13745");
        assertThat(decimal(get(t2).getRevenue())).isEqualByComparingTo("12.50");
        await().atMost(15, TimeUnit.SECONDS).until(() -> get(t2).getCartConversionState()
                == CartConversionState.CART_CONVERSION_STATE_UNTRACKED);

        // The browser later sends the same purchase: recognised, not recorded twice.
        var repeat = api.transactions.recordTransaction(RecordTransactionRequest.newBuilder().setTransaction(Transaction.newBuilder()
                .setStoreId(store).setTransactionId(t1).setRevenue(money("155")).setTax(money("23.25")).setShipping(money("7.99"))
                .addItems(TransactionItem.newBuilder().setProductId("4976").setProductName("HUB-USB 48 ports").setCategory("Accessoire PC")
                        .setCategoryId("79").setUnitPrice(money("80")).setTotalPrice(money("80")).setQuantity(1))
                .addItems(TransactionItem.newBuilder().setProductId("13745").setProductName("câble HDMI").setCategory("Câbles")
                        .setCategoryId("17").setUnitPrice(money("37.50")).setTotalPrice(money("75")).setQuantity(2))).build());
        assertThat(repeat.getAlreadyRecorded()).isTrue();
    }

    @Test
    void byContactAKeyOwnedByAnotherContactIsRejected() {
        String t = newId("T-");
        importFile(ImportKind.IMPORT_KIND_TRANSACTIONS, org.relance.api.transaction.v1.ImportKeyMode.IMPORT_KEY_MODE_CONTACT,
                "idTransaction,IdContact,revenue,tax,shipping,date\n" + t + ",alice,10,0,0,2024-05-01\n");
        ImportSummary other = importFile(ImportKind.IMPORT_KIND_TRANSACTIONS,
                org.relance.api.transaction.v1.ImportKeyMode.IMPORT_KEY_MODE_CONTACT,
                "idTransaction,IdContact,revenue,tax,shipping,date\n" + t + ",mallory,99,0,0,2024-05-01\n");
        assertThat(other.getRejectionsList()).singleElement().satisfies(r -> {
            assertThat(r.getLine()).isEqualTo(2);
            assertThat(r.getReason()).contains("another contact");
        });
        ImportSummary items = importFile(ImportKind.IMPORT_KIND_ITEMS, org.relance.api.transaction.v1.ImportKeyMode.IMPORT_KEY_MODE_CONTACT,
                "idTransaction,IdContact,idProduct,productName,Price_unit,Price_total,quantity\n"
                        + t + ",mallory,p,P,1,1,1\n" + t + ",alice,p,P,10,10,1\n");
        assertThat(items.getInsertedCount()).isEqualTo(1);
        assertThat(items.getRejectionsList()).extracting(ImportRejection::getLine).containsExactly(2L);
        Transaction stored = get(t);
        assertThat(stored.getContactId()).isEqualTo("alice");
        assertThat(decimal(stored.getRevenue())).isEqualByComparingTo("10");
    }
}
