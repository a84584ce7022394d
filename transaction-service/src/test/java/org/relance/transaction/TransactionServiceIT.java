package org.relance.transaction;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.transaction.v1.CartConversionState;
import org.relance.api.transaction.v1.CurrencyRevenue;
import org.relance.api.transaction.v1.EraseContactTransactionsRequest;
import org.relance.api.transaction.v1.GetRevenueStatisticsRequest;
import org.relance.api.transaction.v1.GetTransactionRequest;
import org.relance.api.transaction.v1.LinkVisitorRequest;
import org.relance.api.transaction.v1.ListTransactionsRequest;
import org.relance.api.transaction.v1.ListTransactionsResponse;
import org.relance.api.transaction.v1.RecordTransactionRequest;
import org.relance.api.transaction.v1.RecordTransactionResponse;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionEvent;
import org.relance.api.transaction.v1.TransactionEventType;
import org.relance.api.transaction.v1.TransactionItem;
import org.relance.api.transaction.v1.TransactionServiceGrpc;
import org.relance.api.transaction.v1.WatchTransactionEventsRequest;
import org.relance.api.transaction.v1.WatchTransactionEventsResponse;
import org.relance.kit.grpc.BearerToken;
import org.relance.transaction.support.Apis;
import org.relance.transaction.support.CartServiceProcess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.relance.transaction.support.Apis.decimal;
import static org.relance.transaction.support.Apis.money;
import static org.relance.transaction.support.Apis.newId;

/** Purchases recorded over gRPC on a real PostgreSQL, converting carts in the real cart service. */
@QuarkusTest
@QuarkusTestResource(CartServiceProcess.class)
class TransactionServiceIT {
    private Apis api;
    private String store;

    @BeforeEach
    void setUp() {
        api = new Apis();
        store = api.newStore(5);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        api.close();
    }

    /** Seed 000's thank-you page: idTransaction 1234, idCart 7890, two items. */
    private Transaction.Builder seedTransaction(String transactionId, String cartId) {
        Transaction.Builder t = Transaction.newBuilder().setStoreId(store).setTransactionId(transactionId)
                .setAffiliation("MyStore").setRevenue(money("155")).setTax(money("23.25")).setShipping(money("7.99"))
                .addItems(TransactionItem.newBuilder().setProductId("4976").setProductName("HUB-USB 48 ports")
                        .setCategory("Accessoire PC").setCategoryId("79").setUnitPrice(money("80")).setTotalPrice(money("80")).setQuantity(1))
                .addItems(TransactionItem.newBuilder().setProductId("13745").setProductName("câble HDMI")
                        .setCategory("Câbles").setCategoryId("17").setUnitPrice(money("37.50")).setTotalPrice(money("75")).setQuantity(2));
        if (cartId != null) {
            t.setCartId(cartId);
        }
        return t;
    }

    private RecordTransactionResponse record(Transaction.Builder t) {
        return api.transactions.recordTransaction(RecordTransactionRequest.newBuilder().setTransaction(t).build());
    }

    private Transaction get(String transactionId) {
        return api.transactions.getTransaction(GetTransactionRequest.newBuilder().setStoreId(store)
                .setTransactionId(transactionId).build()).getTransaction();
    }

    private void trackCart(String cartId) {
        api.carts.submitCart(SubmitCartRequest.newBuilder().setStoreId(store).setSubmitId(newId("sub-"))
                .addOperations(CartOperation.newBuilder().setAddCart(AddCartOperation.newBuilder().setCartId(cartId)
                        .setTotalPrice(money("155")))).build());
    }

    private CartState cartState(String cartId) {
        return api.carts.getCart(GetCartRequest.newBuilder().setStoreId(store).setCartId(cartId).build()).getCart().getState();
    }

    @Test
    void aPurchaseWithoutCartIsRecordedExactlyAsGiven() {
        String id = newId("T-");
        RecordTransactionResponse response = record(seedTransaction(id, null));
        assertThat(response.getAlreadyRecorded()).isFalse();
        Transaction stored = get(id);
        assertThat(stored.getCartConversionState()).isEqualTo(CartConversionState.CART_CONVERSION_STATE_NO_CART);
        assertThat(stored.getCurrencyCode()).isEqualTo("EUR");
        assertThat(decimal(stored.getTax())).isEqualByComparingTo("23.25");
        assertThat(decimal(stored.getShipping())).isEqualByComparingTo("7.99");
        assertThat(stored.getItemsList()).extracting(TransactionItem::getProductName).containsExactly("HUB-USB 48 ports", "câble HDMI");
        assertThat(decimal(stored.getItems(1).getTotalPrice())).isEqualByComparingTo("75");
        assertThat(stored).isEqualTo(response.getTransaction());
    }

    @Test
    void aPurchaseConvertsItsActiveCart() {
        String cartId = newId("7890-");
        trackCart(cartId);
        String id = newId("T-");
        assertThat(record(seedTransaction(id, cartId)).getTransaction().getCartConversionState())
                .isIn(CartConversionState.CART_CONVERSION_STATE_PENDING, CartConversionState.CART_CONVERSION_STATE_CONVERTED);
        await().atMost(15, TimeUnit.SECONDS).until(() -> get(id).getCartConversionState()
                == CartConversionState.CART_CONVERSION_STATE_CONVERTED);
        assertThat(cartState(cartId)).isEqualTo(CartState.CART_STATE_CONVERTED);
    }

    @Test
    void aPurchaseOfAnAbandonedCartIsARecovery() {
        String cartId = newId("ab-");
        trackCart(cartId);
        await().atMost(20, TimeUnit.SECONDS).pollInterval(250, TimeUnit.MILLISECONDS)
                .until(() -> cartState(cartId) == CartState.CART_STATE_ABANDONED);
        String id = newId("T-");
        record(seedTransaction(id, cartId));
        await().atMost(15, TimeUnit.SECONDS).until(() -> get(id).getCartConversionState()
                == CartConversionState.CART_CONVERSION_STATE_RECOVERED);
        assertThat(api.carts.getCart(GetCartRequest.newBuilder().setStoreId(store).setCartId(cartId).build()).getCart()
                .getRecovered()).isTrue();
    }

    @Test
    void anUnknownCartIsRecordedAndFlaggedNotRefused() {
        String id = newId("T-");
        RecordTransactionResponse response = record(seedTransaction(id, newId("never-")));
        assertThat(response.getAlreadyRecorded()).isFalse();
        await().atMost(15, TimeUnit.SECONDS).until(() -> get(id).getCartConversionState()
                == CartConversionState.CART_CONVERSION_STATE_UNTRACKED);
    }

    @Test
    void aConversionIsDeliveredOnceTheCartServiceIsBack() throws Exception {
        store = api.newStore(3600);
        String cartId = newId("outage-");
        trackCart(cartId);
        String warm = newId("T-");
        record(seedTransaction(warm, null));
        CartServiceProcess.stopProcess();
        String id = newId("T-");
        try {
            RecordTransactionResponse response = record(seedTransaction(id, cartId));
            assertThat(response.getTransaction().getCartConversionState()).isEqualTo(CartConversionState.CART_CONVERSION_STATE_PENDING);
            Thread.sleep(3000);
            assertThat(get(id).getCartConversionState()).isEqualTo(CartConversionState.CART_CONVERSION_STATE_PENDING);
        } finally {
            CartServiceProcess.startProcess();
        }
        await().atMost(90, TimeUnit.SECONDS).pollInterval(500, TimeUnit.MILLISECONDS).until(() -> get(id).getCartConversionState()
                == CartConversionState.CART_CONVERSION_STATE_CONVERTED);
        assertThat(cartState(cartId)).isEqualTo(CartState.CART_STATE_CONVERTED);
    }

    @Test
    void theSameTransactionIsRecordedOnceAndOtherContentIsRefused() {
        String id = newId("T-");
        Transaction first = record(seedTransaction(id, null)).getTransaction();
        RecordTransactionResponse again = record(seedTransaction(id, null));
        assertThat(again.getAlreadyRecorded()).isTrue();
        assertThat(again.getTransaction()).isEqualTo(first);

        assertThatThrownBy(() -> record(seedTransaction(id, null).setRevenue(money("156"))))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
                    assertThat(e.getStatus().getDescription()).contains(id);
                });
        assertThat(get(id)).isEqualTo(first);
    }

    @Test
    void everyLimitIsCheckedAndNothingIsWritten() {
        String id = newId("T-");
        String longText = "x".repeat(501);
        Transaction.Builder bad = seedTransaction(id, longText).setAffiliation(longText).setTax(money("-1"))
                .setCurrencyCode("euro").clearShipping()
                .addItems(TransactionItem.newBuilder().setProductId("4976").setProductName("again")
                        .setUnitPrice(money("1")).setTotalPrice(money("1")).setQuantity(0));
        assertThatThrownBy(() -> record(bad)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(violations(e)).containsExactlyInAnyOrder("transaction.cart_id", "transaction.affiliation",
                    "transaction.tax", "transaction.currency_code", "transaction.shipping",
                    "transaction.items[2].quantity", "transaction.items[2].product_id");
        });
        assertThatThrownBy(() -> get(id)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThatThrownBy(() -> record(seedTransaction(id, null).setStoreId("no-such-store")))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void aVisitorsPurchasesFollowItsContactAndErasureRemovesThem() {
        String visitor = newId("v-");
        String contact = newId("contact-");
        String first = newId("T-");
        record(seedTransaction(first, null).setVisitorId(visitor));
        assertThat(api.transactions.linkVisitor(LinkVisitorRequest.newBuilder().setStoreId(store).setVisitorId(visitor)
                .setContactId(contact).build()).getLinkedTransactionCount()).isEqualTo(1);
        String second = newId("T-");
        record(seedTransaction(second, null).setVisitorId(visitor).setOccurTime(
                com.google.protobuf.Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond() + 60)));
        ListTransactionsResponse page = api.transactions.listTransactions(ListTransactionsRequest.newBuilder()
                .setContactId(contact).setPageSize(1).build());
        assertThat(page.getTransactionsList()).extracting(Transaction::getTransactionId).containsExactly(second);
        assertThat(api.transactions.listTransactions(ListTransactionsRequest.newBuilder().setContactId(contact).setPageSize(1)
                .setPageToken(page.getNextPageToken()).build()).getTransactionsList())
                .extracting(Transaction::getTransactionId).containsExactly(first);

        var erased = api.transactions.eraseContactTransactions(EraseContactTransactionsRequest.newBuilder().setContactId(contact).build());
        assertThat(erased.getDeletedTransactionCount()).isEqualTo(2);
        assertThat(erased.getDeletedItemCount()).isEqualTo(4);
        assertThat(api.transactions.listTransactions(ListTransactionsRequest.newBuilder().setContactId(contact).build())
                .getTransactionsList()).isEmpty();
        assertThatThrownBy(() -> record(seedTransaction(newId("T-"), null).setContactId(contact)))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    }

    @Test
    void theEventStreamCarriesRecordingsAndConversions() {
        List<TransactionEvent> seen = new CopyOnWriteArrayList<>();
        TransactionServiceGrpc.newStub(api.channel()).withCallCredentials(new BearerToken(CartServiceProcess.TOKEN))
                .watchTransactionEvents(WatchTransactionEventsRequest.newBuilder().setStoreId(store).build(), new StreamObserver<>() {
                    @Override
                    public void onNext(WatchTransactionEventsResponse value) {
                        seen.add(value.getEvent());
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        String cartId = newId("c-");
        trackCart(cartId);
        String id = newId("T-");
        record(seedTransaction(id, cartId));
        await().atMost(15, TimeUnit.SECONDS).until(() -> seen.size() >= 2);
        assertThat(seen).extracting(TransactionEvent::getType).containsExactly(TransactionEventType.TRANSACTION_EVENT_TYPE_RECORDED,
                TransactionEventType.TRANSACTION_EVENT_TYPE_CART_CONVERTED);
        assertThat(seen.get(0).getTransaction().getItemsCount()).isEqualTo(2);
        assertThat(seen.get(1).getTransaction().getCartConversionState()).isEqualTo(CartConversionState.CART_CONVERSION_STATE_CONVERTED);
        assertThat(seen.get(1).getSequence()).isGreaterThan(seen.get(0).getSequence());
    }

    @Test
    void revenueIsSummedByProductAndCategory() {
        record(seedTransaction(newId("T-"), null));
        record(seedTransaction(newId("T-"), null));
        Instant now = Instant.now();
        CurrencyRevenue eur = api.transactions.getRevenueStatistics(GetRevenueStatisticsRequest.newBuilder().setStoreId(store)
                .setStartTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(now.getEpochSecond() - 3600))
                .setEndTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(now.getEpochSecond() + 3600))
                .build()).getCurrencies(0);
        assertThat(eur.getCurrencyCode()).isEqualTo("EUR");
        assertThat(eur.getTransactionCount()).isEqualTo(2);
        assertThat(decimal(eur.getRevenue())).isEqualByComparingTo("310");
        assertThat(eur.getProductsList()).extracting(p -> p.getId() + "=" + decimal(p.getRevenue()).toPlainString() + "x" + p.getQuantity())
                .containsExactly("4976=160x2", "13745=150x4");
        assertThat(eur.getCategoriesList()).extracting(c -> c.getName()).containsExactly("Accessoire PC", "Câbles");
    }

    private static List<String> violations(StatusRuntimeException e) {
        com.google.rpc.Status status = io.grpc.protobuf.StatusProto.fromThrowable(e);
        return status.getDetailsList().stream().filter(d -> d.is(com.google.rpc.BadRequest.class)).flatMap(d -> {
            try {
                return d.unpack(com.google.rpc.BadRequest.class).getFieldViolationsList().stream();
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                throw new IllegalStateException(ex);
            }
        }).map(com.google.rpc.BadRequest.FieldViolation::getField).toList();
    }
}
