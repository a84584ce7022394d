package org.relance.segment;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.common.v1.Money;
import org.relance.api.segment.v1.ContactServiceGrpc;
import org.relance.api.segment.v1.CountContactsRequest;
import org.relance.api.segment.v1.EqualityOperator;
import org.relance.api.segment.v1.EraseContactRequest;
import org.relance.api.segment.v1.EraseContactResponse;
import org.relance.api.segment.v1.IdentifyVisitorRequest;
import org.relance.api.segment.v1.IdentifyVisitorResponse;
import org.relance.api.segment.v1.MatchContactRequest;
import org.relance.api.segment.v1.NumberOperator;
import org.relance.api.segment.v1.RebuildFactsRequest;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.api.segment.v1.SegmentServiceGrpc;
import org.relance.api.segment.v1.StreamContactsRequest;
import org.relance.api.segment.v1.TextOperator;
import org.relance.api.transaction.v1.RecordTransactionRequest;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionServiceGrpc;
import org.relance.kit.db.Database;
import org.relance.kit.db.Sql;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;
import org.relance.segment.support.SuiteProcesses;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Segment questions over gRPC, with facts fed by the real cart and transaction services. */
@QuarkusTest
@QuarkusTestResource(SuiteProcesses.class)
class SegmentServiceIT {
    @Inject
    Database database;

    private ManagedChannel own;
    private ManagedChannel cartChannel;
    private ManagedChannel transactionChannel;
    private SegmentServiceGrpc.SegmentServiceBlockingStub segments;
    private ContactServiceGrpc.ContactServiceBlockingStub contacts;
    private CartServiceGrpc.CartServiceBlockingStub carts;
    private TransactionServiceGrpc.TransactionServiceBlockingStub transactions;
    private String store;

    @BeforeEach
    void setUp() {
        BearerToken token = new BearerToken(SuiteProcesses.TOKEN);
        own = ManagedChannelBuilder.forAddress("localhost", ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class))
                .usePlaintext().build();
        cartChannel = ManagedChannelBuilder.forAddress("localhost", SuiteProcesses.cartPort()).usePlaintext().build();
        transactionChannel = ManagedChannelBuilder.forAddress("localhost", SuiteProcesses.transactionPort()).usePlaintext().build();
        segments = SegmentServiceGrpc.newBlockingStub(own).withCallCredentials(token);
        contacts = ContactServiceGrpc.newBlockingStub(own).withCallCredentials(token);
        carts = CartServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        transactions = TransactionServiceGrpc.newBlockingStub(transactionChannel).withCallCredentials(token);
        store = "s-" + UUID.randomUUID().toString().substring(0, 10);
        StoreServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token).createStore(CreateStoreRequest.newBuilder()
                .setStore(Store.newBuilder().setStoreId(store).setCurrencyCode("EUR")
                        .setAbandonmentDelay(Duration.newBuilder().setSeconds(5))).build());
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (ManagedChannel c : List.of(own, cartChannel, transactionChannel)) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static Money money(String amount) {
        return Moneys.toMoney(new BigDecimal(amount), "");
    }

    private void cart(String contact, String visitor, String cartId, String status, String total, String... products) {
        SubmitCartRequest.Builder b = SubmitCartRequest.newBuilder().setStoreId(store).setSubmitId(UUID.randomUUID().toString())
                .addOperations(CartOperation.newBuilder().setAddCart(AddCartOperation.newBuilder().setCartId(cartId)
                        .setStatus(status).setTotalPrice(money(total))));
        if (contact != null) {
            b.setContactId(contact);
        }
        if (visitor != null) {
            b.setVisitorId(visitor);
        }

        for (String p : products) {
            b.addOperations(CartOperation.newBuilder().setAddCartItem(AddCartItemOperation.newBuilder().setCartId(cartId)
                    .setProductId("p-" + p.toLowerCase().replace(" ", "-")).setProductName(p).setUnitPrice(money("1")).setQuantity(1)));
        }
        carts.submitCart(b.build());
    }

    private void purchase(String contact, String transactionId, String cartId) {
        Transaction.Builder t = Transaction.newBuilder().setStoreId(store).setTransactionId(transactionId).setContactId(contact)
                .setRevenue(money("10")).setTax(money("0")).setShipping(money("0"));
        if (cartId != null) {
            t.setCartId(cartId);
        }
        transactions.recordTransaction(RecordTransactionRequest.newBuilder().setTransaction(t).build());
    }

    private static SegmentCondition abandoned(String storeId) {
        return SegmentCondition.newBuilder().setHasAbandonedCart(SegmentCondition.HasAbandonedCart.newBuilder().setStoreId(storeId)).build();
    }

    private static SegmentCondition and(SegmentCondition... c) {
        return SegmentCondition.newBuilder().setAndCondition(SegmentCondition.And.newBuilder().addAllConditions(List.of(c))).build();
    }

    private static SegmentCondition or(SegmentCondition... c) {
        return SegmentCondition.newBuilder().setOrCondition(SegmentCondition.Or.newBuilder().addAllConditions(List.of(c))).build();
    }

    private static SegmentCondition not(SegmentCondition c) {
        return SegmentCondition.newBuilder().setNotCondition(SegmentCondition.Not.newBuilder().setCondition(c)).build();
    }

    private static SegmentCondition value(NumberOperator op, String amount) {
        return SegmentCondition.newBuilder().setLastAbandonedCartValue(SegmentCondition.LastAbandonedCartValue.newBuilder()
                .setOperator(op).setAmount(money(amount))).build();
    }

    private static SegmentCondition name(TextOperator op, String text) {
        return SegmentCondition.newBuilder().setLastAbandonedCartProductName(SegmentCondition.LastAbandonedCartProductName.newBuilder()
                .setOperator(op).setText(text)).build();
    }

    private SegmentCondition purchased(Instant since) {
        SegmentCondition.HasPurchased.Builder b = SegmentCondition.HasPurchased.newBuilder().setStoreId(store);
        if (since != null) {
            b.setSince(Timestamp.newBuilder().setSeconds(since.getEpochSecond()));
        }
        return SegmentCondition.newBuilder().setHasPurchased(b).build();
    }

    private long count(SegmentCondition c) {
        return segments.countContacts(CountContactsRequest.newBuilder().setCondition(c).setStoreId(store).build()).getCount();
    }

    private List<String> stream(SegmentCondition c) {
        List<String> ids = new ArrayList<>();
        segments.streamContacts(StreamContactsRequest.newBuilder().setCondition(c).setStoreId(store).setBatchSize(2).build())
                .forEachRemaining(r -> ids.addAll(r.getContactIdsList()));
        return ids;
    }

    private boolean matches(String contact, SegmentCondition c) {
        return segments.matchContact(MatchContactRequest.newBuilder().setContactId(contact).setCondition(c).setStoreId(store).build())
                .getMatches();
    }

    /** Count, stream and match give one answer: exactly {@code expected} among {@code people}. */
    private void assertSegment(SegmentCondition c, List<String> people, String... expected) {
        List<String> streamed = stream(c);
        List<String> mine = streamed.stream().filter(people::contains).toList();
        assertThat(mine).containsExactlyInAnyOrder(expected);
        for (String p : people) {
            assertThat(matches(p, c)).as("match of " + p).isEqualTo(List.of(expected).contains(p));
        }
        assertThat(count(c)).isEqualTo(streamed.size());
    }

    @Test
    void seedQuestionsAreAnsweredConsistentlyFromLiveFacts() {
        String u = UUID.randomUUID().toString().substring(0, 6);
        String alice = "alice-" + u;
        String bob = "bob-" + u;
        String carol = "carol-" + u;
        String dave = "dave-" + u;
        List<String> people = List.of(alice, bob, carol, dave);
        cart(alice, null, "a-" + u, "ValidateShippingStep", "150", "Cable HDMI", "Mouse");
        cart(bob, null, "b-" + u, "SelectProducts", "50", "Keyboard");
        cart(carol, null, "c-" + u, "SelectProducts", "70", "Screen");
        await().atMost(30, TimeUnit.SECONDS).pollInterval(250, TimeUnit.MILLISECONDS)
                .until(() -> count(abandoned(store)) == 3);
        purchase(carol, "t-c-" + u, "c-" + u);
        purchase(dave, "t-d-" + u, null);
        await().atMost(30, TimeUnit.SECONDS).pollInterval(250, TimeUnit.MILLISECONDS)
                .until(() -> count(SegmentCondition.newBuilder().setHasRecoveredCart(
                        SegmentCondition.HasRecoveredCart.newBuilder().setStoreId(store)).build()) == 1
                        && count(purchased(null)) == 2);

        assertSegment(abandoned(store), people, alice, bob);
        assertSegment(not(abandoned(store)), people, carol, dave);
        assertSegment(value(NumberOperator.NUMBER_OPERATOR_GREATER, "100"), people, alice);
        assertSegment(value(NumberOperator.NUMBER_OPERATOR_LESS_OR_EQUAL, "50"), people, bob);
        assertSegment(value(NumberOperator.NUMBER_OPERATOR_NOT_EQUAL, "50"), people, alice);
        assertSegment(name(TextOperator.TEXT_OPERATOR_CONTAINS, "hdmi"), people, alice);
        assertSegment(name(TextOperator.TEXT_OPERATOR_IS, "cable hdmi"), people, alice);
        assertSegment(name(TextOperator.TEXT_OPERATOR_DOES_NOT_CONTAIN, "HDMI"), people, bob);
        assertSegment(name(TextOperator.TEXT_OPERATOR_IS_NOT, "keyboard"), people, alice);
        assertSegment(SegmentCondition.newBuilder().setLastAbandonedCartProductCount(SegmentCondition.LastAbandonedCartProductCount
                .newBuilder().setOperator(NumberOperator.NUMBER_OPERATOR_GREATER_OR_EQUAL).setCount(2)).build(), people, alice);
        assertSegment(SegmentCondition.newBuilder().setLastAbandonedCartStatus(SegmentCondition.LastAbandonedCartStatus.newBuilder()
                .setOperator(EqualityOperator.EQUALITY_OPERATOR_IS).setText("ValidateShippingStep")).build(), people, alice);
        assertSegment(SegmentCondition.newBuilder().setLastAbandonedCartStatus(SegmentCondition.LastAbandonedCartStatus.newBuilder()
                .setOperator(EqualityOperator.EQUALITY_OPERATOR_IS_NOT).setText("ValidateShippingStep")).build(), people, bob);
        assertSegment(SegmentCondition.newBuilder().setHasRecoveredCart(SegmentCondition.HasRecoveredCart.newBuilder()
                .setStoreId(store)).build(), people, carol);
        assertSegment(purchased(null), people, carol, dave);
        assertSegment(purchased(Instant.now().plusSeconds(3600)), people);
        // "who abandoned a cart worth more than 100 with an HDMI cable and has not bought since?"
        assertSegment(and(abandoned(store), value(NumberOperator.NUMBER_OPERATOR_GREATER, "100"),
                name(TextOperator.TEXT_OPERATOR_CONTAINS, "hdmi"), not(purchased(null))), people, alice);
        assertSegment(or(and(abandoned(store), not(value(NumberOperator.NUMBER_OPERATOR_GREATER, "100"))), purchased(null)),
                people, bob, carol, dave);

        // Seed 003's contact profile: carol's order was an abandoned cart, recovered.
        var carolProfile = contacts.getContactProfile(org.relance.api.segment.v1.GetContactProfileRequest.newBuilder()
                .setContactId(carol).setStoreId(store).build()).getStores(0);
        assertThat(carolProfile.getOrdersList()).singleElement().satisfies(o -> {
            assertThat(o.getStatus()).isEqualTo(org.relance.api.segment.v1.OrderStatus.ORDER_STATUS_RECOVERED);
            assertThat(o.getPreviouslyAbandoned()).isTrue();
            assertThat(o.getCartId()).isEqualTo("c-" + u);
        });
        assertThat(carolProfile.getRecoveredCartCount()).isEqualTo(1);
        var aliceProfile = contacts.getContactProfile(org.relance.api.segment.v1.GetContactProfileRequest.newBuilder()
                .setContactId(alice).build()).getStores(0);
        assertThat(aliceProfile.getOrdersList()).singleElement().satisfies(o -> {
            assertThat(o.getStatus()).isEqualTo(org.relance.api.segment.v1.OrderStatus.ORDER_STATUS_ABANDONED);
            // Abandoned for the first time: not "abandoned before".
            assertThat(o.getPreviouslyAbandoned()).isFalse();
            assertThat(o.getItemsList()).extracting(i -> i.getProductName()).containsExactly("Cable HDMI", "Mouse");
        });
        assertThat(aliceProfile.getLastAbandonedCart().getStatus()).isEqualTo("ValidateShippingStep");
        assertThat(contacts.getContactProfile(org.relance.api.segment.v1.GetContactProfileRequest.newBuilder().setContactId(alice)
                .addOrderStatuses(org.relance.api.segment.v1.OrderStatus.ORDER_STATUS_COMPLETED).build()).getStores(0).getOrdersCount())
                .isZero();

        // The store's recovery statistics: 3 abandoned, 1 recovered (10 EUR).
        var stats = segments.getRecoveryStatistics(org.relance.api.segment.v1.GetRecoveryStatisticsRequest.newBuilder()
                .setStoreId(store).setStartTime(Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond() - 3600))
                .setEndTime(Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond() + 3600)).build());
        assertThat(stats.getTotals().getAbandonedCartCount()).isEqualTo(3);
        assertThat(stats.getTotals().getRecoveredCartCount()).isEqualTo(1);
        assertThat(stats.getTotals().getRecoveryRate()).isCloseTo(1.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(stats.getTotals().getRecoveredRevenue().getUnits()).isEqualTo(10);
        assertThat(stats.getTotals().getAbandonedValue().getUnits()).isEqualTo(270);
        assertThat(stats.getDaysList()).isNotEmpty();
        assertThat(stats.getTopAbandonedProductsList()).extracting(p -> p.getProductName())
                .contains("Cable HDMI", "Keyboard", "Screen");
    }

    @Test
    void upsertFindsByIdOrEmailAndSetsOnlyWhatIsGiven() {
        String email = "grace-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
        var created = contacts.upsertContact(org.relance.api.segment.v1.UpsertContactRequest.newBuilder().setRequestId("u1-" + email)
                .setContact(org.relance.api.segment.v1.Contact.newBuilder().setEmail(email).setFirstName("Grace").setCompany("Navy")
                        .setConsent(org.relance.api.segment.v1.Consent.newBuilder().setState(org.relance.api.segment.v1.ConsentState.CONSENT_STATE_GRANTED)
                                .setSource("checkout-checkbox")))
                .build());
        assertThat(created.getCreated()).isTrue();
        String id = created.getContact().getContactId();
        assertThat(id).isNotEmpty();
        // By e-mail again, no mask: only the last name changes; the rest stays.
        var changed = contacts.upsertContact(org.relance.api.segment.v1.UpsertContactRequest.newBuilder().setRequestId("u2-" + email)
                .setContact(org.relance.api.segment.v1.Contact.newBuilder().setEmail(email).setLastName("Hopper")).build());
        assertThat(changed.getCreated()).isFalse();
        assertThat(changed.getContact().getContactId()).isEqualTo(id);
        assertThat(changed.getContact().getFirstName()).isEqualTo("Grace");
        assertThat(changed.getContact().getLastName()).isEqualTo("Hopper");
        assertThat(changed.getContact().getCompany()).isEqualTo("Navy");
        assertThat(changed.getContact().getConsent().getState()).isEqualTo(org.relance.api.segment.v1.ConsentState.CONSENT_STATE_GRANTED);
        // By id with a mask: the masked field is set even to empty.
        var masked = contacts.upsertContact(org.relance.api.segment.v1.UpsertContactRequest.newBuilder().setRequestId("u3-" + email)
                .setContact(org.relance.api.segment.v1.Contact.newBuilder().setContactId(id))
                .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("company")).build());
        assertThat(masked.getContact().getCompany()).isEmpty();
        assertThat(masked.getContact().getLastName()).isEqualTo("Hopper");
        assertThatThrownBy(() -> contacts.upsertContact(org.relance.api.segment.v1.UpsertContactRequest.newBuilder()
                .setContact(org.relance.api.segment.v1.Contact.newBuilder().setFirstName("Nobody")).build()))
                .hasMessageContaining("INVALID_ARGUMENT");
    }

    @Test
    void badQuestionsAreRefusedWithTheirFields() {
        // No condition at all is the question "every contact".
        long everyone = segments.countContacts(CountContactsRequest.newBuilder().build()).getCount();
        List<String> all = new ArrayList<>();
        segments.streamContacts(StreamContactsRequest.newBuilder().setBatchSize(1000).build())
                .forEachRemaining(r -> all.addAll(r.getContactIdsList()));
        assertThat(all).hasSize((int) everyone).doesNotHaveDuplicates();
        assertThatThrownBy(() -> segments.countContacts(CountContactsRequest.newBuilder()
                .setCondition(and(abandoned("no-such-store"), value(NumberOperator.NUMBER_OPERATOR_UNSPECIFIED, "1"),
                        SegmentCondition.newBuilder().setAndCondition(SegmentCondition.And.getDefaultInstance()).build()))
                .build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    com.google.rpc.Status status = io.grpc.protobuf.StatusProto.fromThrowable(e);
                    List<String> fields = status.getDetailsList().stream().filter(d -> d.is(com.google.rpc.BadRequest.class))
                            .flatMap(d -> {
                                try {
                                    return d.unpack(com.google.rpc.BadRequest.class).getFieldViolationsList().stream();
                                } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                                    throw new IllegalStateException(ex);
                                }
                            }).map(com.google.rpc.BadRequest.FieldViolation::getField).toList();
                    assertThat(fields).containsExactlyInAnyOrder(
                            "condition.and_condition.conditions[0].has_abandoned_cart.store_id",
                            "condition.and_condition.conditions[1].last_abandoned_cart_value.operator",
                            "condition.and_condition.conditions[2].and_condition.conditions");
                });
    }

    @Test
    void anIdentifiedVisitorBringsItsAnonymousCartIntoSegments() {
        String u = UUID.randomUUID().toString().substring(0, 6);
        String visitor = "v-" + u;
        cart(null, visitor, "anon-" + u, "SelectProducts", "99", "Lamp");
        IdentifyVisitorResponse identified = contacts.identifyVisitor(IdentifyVisitorRequest.newBuilder().setStoreId(store)
                .setVisitorId(visitor).setEmail("Eve." + u + "@Example.com").build());
        assertThat(identified.getContactCreated()).isTrue();
        assertThat(identified.getLinkedCartCount()).isEqualTo(1);
        String eve = identified.getContact().getContactId();
        await().atMost(30, TimeUnit.SECONDS).pollInterval(250, TimeUnit.MILLISECONDS)
                .until(() -> matches(eve, abandoned(store)));
        assertThat(matches(eve, name(TextOperator.TEXT_OPERATOR_IS, "LAMP"))).isTrue();
    }

    @Test
    void erasureLeavesNoRowAnywhereAndRefusesTheContactAfterwards() {
        String u = UUID.randomUUID().toString().substring(0, 6);
        String frank = "frank-" + u;
        String cartId = "f-" + u;
        cart(frank, "vf-" + u, cartId, "SelectProducts", "10", "Pen");
        purchase(frank, "t-f-" + u, null);
        await().atMost(30, TimeUnit.SECONDS).pollInterval(250, TimeUnit.MILLISECONDS)
                .until(() -> matches(frank, purchased(null)));
        EraseContactResponse erased = contacts.eraseContact(EraseContactRequest.newBuilder().setContactId(frank).build());
        assertThat(erased.getCart().getDeletedCartCount()).isEqualTo(1);
        assertThat(erased.getTransaction().getDeletedTransactionCount()).isEqualTo(1);
        assertThat(erased.getSegment().getDeletedContactCount()).isEqualTo(1);
        assertThatThrownBy(() -> carts.getCart(GetCartRequest.newBuilder().setStoreId(store).setCartId(cartId).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        // The ERASED events reach the facts too; then nothing about frank is left here.
        await().during(2, TimeUnit.SECONDS).atMost(10, TimeUnit.SECONDS).until(() -> rowsAbout(frank) == 0);
        assertThatThrownBy(() -> contacts.identifyVisitor(IdentifyVisitorRequest.newBuilder().setStoreId(store)
                .setVisitorId("again-" + u).setContactId(frank).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    }

    private long rowsAbout(String contact) {
        return database.withConnection(c -> Sql.query(c, "SELECT (SELECT count(*) FROM contact WHERE contact_id = $1) "
                        + "+ (SELECT count(*) FROM cart_fact WHERE contact_id = $1) + (SELECT count(*) FROM purchase_fact WHERE contact_id = $1) "
                        + "+ (SELECT count(*) FROM contact_fact WHERE contact_id = $1) + (SELECT count(*) FROM visitor_link WHERE contact_id = $1) AS n",
                row -> row.get("n", Long.class), contact)).blockFirst();
    }

    @Test
    void aRebuildFromTheStreamsEndsWithIdenticalFacts() {
        String u = UUID.randomUUID().toString().substring(0, 6);
        cart("gina-" + u, null, "g-" + u, "SelectProducts", "20", "Cup");
        purchase("gina-" + u, "t-g-" + u, null);
        await().atMost(30, TimeUnit.SECONDS).pollInterval(250, TimeUnit.MILLISECONDS)
                .until(() -> matches("gina-" + u, purchased(null)));
        String before = dump();
        segments.rebuildFacts(RebuildFactsRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).build());
        assertThat(dump()).isEqualTo(before);
    }

    private String dump() {
        return database.withConnection(c -> Sql.query(c, "SELECT string_agg(t, E'\\n' ORDER BY t) AS d FROM ("
                        + "SELECT format('%s', f) AS t FROM contact_fact f UNION ALL SELECT format('%s', (k.store_id, k.cart_id, k.contact_id, "
                        + "k.state, k.total, k.episode, k.recovered)) FROM cart_fact k UNION ALL SELECT format('%s', (p.store_id, "
                        + "p.transaction_id, p.contact_id, p.revenue, p.conversion)) FROM purchase_fact p) x",
                row -> String.valueOf(row.get("d", String.class)))).blockFirst();
    }
}
