package org.relance.edge.chaos;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.relance.api.cart.v1.Cart;
import org.relance.api.cart.v1.CartItem;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.WatchCartEventsRequest;
import org.relance.api.common.v1.Money;
import org.relance.api.segment.v1.CountContactsRequest;
import org.relance.api.segment.v1.CountContactsResponse;
import org.relance.api.segment.v1.EqualityOperator;
import org.relance.api.segment.v1.FactsWatermark;
import org.relance.api.segment.v1.NumberOperator;
import org.relance.api.segment.v1.RebuildFactsRequest;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.api.segment.v1.SegmentServiceGrpc;
import org.relance.api.segment.v1.TextOperator;
import org.relance.api.transaction.v1.GetTransactionRequest;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionServiceGrpc;
import org.relance.api.transaction.v1.WatchTransactionEventsRequest;
import org.relance.edge.chaos.TrackerLoad.ExpectedCart;
import org.relance.edge.chaos.TrackerLoad.ExpectedTransaction;
import org.relance.edge.chaos.TrackerLoad.Line;
import org.relance.edge.support.Services;
import org.relance.kit.grpc.BearerToken;

/**
 * After the faults: what the services stored, compared with what the load generator saw
 * acknowledged. Every finding is a line of text; a clean run has none.
 */
final class Audit implements AutoCloseable {
    private final String store;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final CartServiceGrpc.CartServiceBlockingStub carts;
    private final TransactionServiceGrpc.TransactionServiceBlockingStub transactions;
    private final SegmentServiceGrpc.SegmentServiceBlockingStub segments;
    private final EventTally cartEvents = new EventTally();
    private final EventTally transactionEvents = new EventTally();

    /** Lines of what went wrong, by kind: lost, doubled, wrong, unsettled, facts. */
    final Map<String, List<String>> findings = new LinkedHashMap<>();
    long cartsChecked;
    long transactionsChecked;
    long lost;
    long doubled;
    Map<String, Long> factsBefore = Map.of();
    Map<String, Long> factsAfterRebuild = Map.of();
    Map<String, Long> factsExpected = Map.of();
    double rebuildSeconds;
    double settleSeconds;

    Audit(Topology topology, String store) {
        this.store = store;
        BearerToken token = new BearerToken(Services.TOKEN);
        ManagedChannel cart = channel(topology.port(Topology.Service.CART));
        ManagedChannel transaction = channel(topology.port(Topology.Service.TRANSACTION));
        ManagedChannel segment = channel(topology.port(Topology.Service.SEGMENT));
        carts = CartServiceGrpc.newBlockingStub(cart).withCallCredentials(token);
        transactions = TransactionServiceGrpc.newBlockingStub(transaction).withCallCredentials(token);
        segments = SegmentServiceGrpc.newBlockingStub(segment).withCallCredentials(token);
        cartEvents.follow(observer -> CartServiceGrpc.newStub(cart).withCallCredentials(token)
                .watchCartEvents(WatchCartEventsRequest.newBuilder().setStoreId(store).build(),
                        EventTally.mapped(observer, r -> new EventTally.Entry(r.getEvent().getSequence(),
                                r.getEvent().getCart().getCartId(), r.getEvent().getType().name().replace("CART_EVENT_TYPE_", "")))));
        transactionEvents.follow(observer -> TransactionServiceGrpc.newStub(transaction).withCallCredentials(token)
                .watchTransactionEvents(WatchTransactionEventsRequest.newBuilder().setStoreId(store).build(),
                        EventTally.mapped(observer, r -> new EventTally.Entry(r.getEvent().getSequence(),
                                r.getEvent().getTransaction().getTransactionId(),
                                r.getEvent().getType().name().replace("TRANSACTION_EVENT_TYPE_", "")))));
    }

    private ManagedChannel channel(int port) {
        ManagedChannel c = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        channels.add(c);
        return c;
    }

    private void finding(String kind, String line) {
        findings.computeIfAbsent(kind, k -> new ArrayList<>()).add(line);
    }

    /**
     * Waits until the streams show every acknowledged cart created, every purchased cart
     * converted and every other cart abandoned (the store's delay is short), then a little longer
     * so that a late duplicate would still be seen.
     */
    void awaitSettled(List<ExpectedCart> acknowledged, List<ExpectedTransaction> bought, Duration atMost) throws InterruptedException {
        Set<String> purchased = new HashSet<>();
        bought.forEach(t -> purchased.add(t.cart.id));
        long start = System.nanoTime();
        long deadline = start + atMost.toNanos();
        List<String> waiting = List.of();
        while (System.nanoTime() < deadline) {
            waiting = new ArrayList<>();
            for (ExpectedCart c : acknowledged) {
                if (cartEvents.count(c.id, "CREATED") == 0) {
                    waiting.add(c.id + " not created");
                } else if (purchased.contains(c.id) ? cartEvents.count(c.id, "CONVERTED") == 0 : cartEvents.count(c.id, "ABANDONED") == 0) {
                    waiting.add(c.id + (purchased.contains(c.id) ? " not converted" : " not abandoned"));
                }
            }
            for (ExpectedTransaction t : bought) {
                if (transactionEvents.count(t.id, "RECORDED") == 0) {
                    waiting.add(t.id + " not recorded");
                }
            }
            if (waiting.isEmpty()) {
                break;
            }
            Thread.sleep(500);
        }
        settleSeconds = (System.nanoTime() - start) / 1e9;
        for (String w : waiting.subList(0, Math.min(20, waiting.size()))) {
            finding("unsettled", w + " in the event stream after " + atMost.toSeconds() + " s");
        }
        if (waiting.size() > 20) {
            finding("unsettled", "… and " + (waiting.size() - 20) + " more");
        }
        if (cartEvents.failure() != null) {
            finding("unsettled", "cart event stream failed: " + cartEvents.failure());
        }
        if (transactionEvents.failure() != null) {
            finding("unsettled", "transaction event stream failed: " + transactionEvents.failure());
        }
        Thread.sleep(2000);
    }

    /** Every acknowledged cart is stored once, with exactly its items; every purchase once. */
    void checkCartsAndTransactions(List<ExpectedCart> acknowledged, List<ExpectedTransaction> bought) {
        for (ExpectedCart expected : acknowledged) {
            cartsChecked++;
            Cart cart;
            try {
                cart = carts.withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getCart(GetCartRequest.newBuilder().setStoreId(store).setCartId(expected.id).build()).getCart();
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                    lost++;
                    finding("lost", "cart " + expected.id + " was acknowledged (204) but GetCart answers NOT_FOUND");
                    continue;
                }
                throw e;
            }
            String items = describe(cart.getItemsList());
            String wanted = describeExpected(expected);
            if (!items.equals(wanted)) {
                finding("wrong", "cart " + expected.id + " holds " + items + ", submitted once as " + wanted);
            }
            if (cart.getContactId().isEmpty()) {
                finding("wrong", "cart " + expected.id + " of visitor " + expected.visitor + " is not linked to its identified contact");
            }
            Map<String, Integer> events = cartEvents.countsOf(expected.id);
            int created = events.getOrDefault("CREATED", 0);
            int changed = events.getOrDefault("CHANGED", 0) + events.getOrDefault("REOPENED", 0);
            if (created != 1 || changed != 0 || events.getOrDefault("ABANDONED", 0) > 1 || events.getOrDefault("CONVERTED", 0) > 1) {
                doubled++;
                finding("doubled", "cart " + expected.id + " (one submit) has events " + events);
            }
        }
        for (ExpectedTransaction expected : bought) {
            transactionsChecked++;
            Transaction tx;
            try {
                tx = transactions.withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getTransaction(GetTransactionRequest.newBuilder().setStoreId(store).setTransactionId(expected.id).build())
                        .getTransaction();
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                    lost++;
                    finding("lost", "transaction " + expected.id + " was acknowledged (204) but GetTransaction answers NOT_FOUND");
                    continue;
                }
                throw e;
            }
            if (tx.getItemsCount() != expected.cart.lines.size() || decimal(tx.getRevenue()).compareTo(expected.cart.total()) != 0
                    || !expected.cart.id.equals(tx.getCartId())) {
                finding("wrong", "transaction " + expected.id + " holds " + tx.getItemsCount() + " items, revenue " + decimal(tx.getRevenue())
                        + ", cart " + tx.getCartId() + "; sent " + expected.cart.lines.size() + " items, revenue " + expected.cart.total()
                        + ", cart " + expected.cart.id);
            }
            int recorded = transactionEvents.count(expected.id, "RECORDED");
            if (recorded != 1 || transactionEvents.count(expected.id, "UPDATED") != 0) {
                doubled++;
                finding("doubled", "transaction " + expected.id + " (one submit) has events " + transactionEvents.countsOf(expected.id));
            }
        }
    }

    /**
     * Counts a few segment questions on the facts the consumers built under the faults, replays the
     * streams into fresh facts ({@code RebuildFacts}), counts again: the two must be equal, and
     * the three questions whose answer follows from the stored carts must match it exactly.
     */
    void checkFacts(List<ExpectedCart> acknowledged) {
        Set<String> withAbandoned = new HashSet<>();
        Set<String> withRecovered = new HashSet<>();
        Set<String> withPurchase = new HashSet<>();
        for (ExpectedCart expected : acknowledged) {
            Cart cart;
            try {
                cart = carts.withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getCart(GetCartRequest.newBuilder().setStoreId(store).setCartId(expected.id).build()).getCart();
            } catch (StatusRuntimeException e) {
                continue;
            }
            if (cart.getContactId().isEmpty()) {
                continue;
            }
            if (cart.getState() == CartState.CART_STATE_ABANDONED) {
                withAbandoned.add(cart.getContactId());
            }
            if (cart.getState() == CartState.CART_STATE_CONVERTED) {
                withPurchase.add(cart.getContactId());
                if (cart.getRecovered()) {
                    withRecovered.add(cart.getContactId());
                }
            }
        }
        factsExpected = new LinkedHashMap<>(Map.of());
        factsExpected.put("has abandoned cart", (long) withAbandoned.size());
        factsExpected.put("has recovered cart", (long) withRecovered.size());
        factsExpected.put("has purchased", (long) withPurchase.size());

        FactsWatermark target = FactsWatermark.newBuilder().setCartEventSequence(cartEvents.lastSequence())
                .setTransactionEventSequence(transactionEvents.lastSequence()).build();
        factsBefore = countAll(target);
        long started = System.nanoTime();
        segments.withDeadlineAfter(180, TimeUnit.SECONDS).rebuildFacts(RebuildFactsRequest.newBuilder()
                .setRequestId("chaos-rebuild-" + java.util.UUID.randomUUID()).build());
        rebuildSeconds = (System.nanoTime() - started) / 1e9;
        factsAfterRebuild = countAll(target);
        if (!factsBefore.equals(factsAfterRebuild)) {
            finding("facts", "facts built under faults " + factsBefore + " differ from a rebuild from the streams " + factsAfterRebuild);
        }
        for (Map.Entry<String, Long> e : factsExpected.entrySet()) {
            if (!e.getValue().equals(factsBefore.get(e.getKey()))) {
                finding("facts", "'" + e.getKey() + "' counts " + factsBefore.get(e.getKey()) + " contacts; the stored carts say " + e.getValue());
            }
        }
    }

    private Map<String, Long> countAll(FactsWatermark target) {
        Map<String, SegmentCondition> questions = new LinkedHashMap<>();
        questions.put("has abandoned cart", SegmentCondition.newBuilder()
                .setHasAbandonedCart(SegmentCondition.HasAbandonedCart.newBuilder()).build());
        questions.put("has recovered cart", SegmentCondition.newBuilder()
                .setHasRecoveredCart(SegmentCondition.HasRecoveredCart.newBuilder()).build());
        questions.put("has purchased", SegmentCondition.newBuilder()
                .setHasPurchased(SegmentCondition.HasPurchased.newBuilder()).build());
        questions.put("last abandoned cart > 100 EUR", SegmentCondition.newBuilder()
                .setLastAbandonedCartValue(SegmentCondition.LastAbandonedCartValue.newBuilder()
                        .setOperator(NumberOperator.NUMBER_OPERATOR_GREATER)
                        .setAmount(Money.newBuilder().setCurrencyCode("EUR").setUnits(100))).build());
        questions.put("last abandoned cart names 'hdmi'", SegmentCondition.newBuilder()
                .setLastAbandonedCartProductName(SegmentCondition.LastAbandonedCartProductName.newBuilder()
                        .setOperator(TextOperator.TEXT_OPERATOR_CONTAINS).setText("hdmi")).build());
        questions.put("last abandoned cart has ≥ 2 products", SegmentCondition.newBuilder()
                .setLastAbandonedCartProductCount(SegmentCondition.LastAbandonedCartProductCount.newBuilder()
                        .setOperator(NumberOperator.NUMBER_OPERATOR_GREATER_OR_EQUAL).setCount(2)).build());
        questions.put("last abandoned cart status is SelectProducts", SegmentCondition.newBuilder()
                .setLastAbandonedCartStatus(SegmentCondition.LastAbandonedCartStatus.newBuilder()
                        .setOperator(EqualityOperator.EQUALITY_OPERATOR_IS).setText("SelectProducts")).build());
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Map.Entry<String, SegmentCondition> q : questions.entrySet()) {
            counts.put(q.getKey(), count(q.getValue(), target));
        }
        return counts;
    }

    /** A count on facts that reached {@code target}: the request waits up to 10 s, so ask again if needed. */
    private long count(SegmentCondition condition, FactsWatermark target) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            CountContactsResponse r = segments.withDeadlineAfter(30, TimeUnit.SECONDS).countContacts(CountContactsRequest.newBuilder()
                    .setStoreId(store).setCondition(condition).setMinWatermark(target).build());
            FactsWatermark w = r.getWatermark();
            if (w.getCartEventSequence() >= target.getCartEventSequence()
                    && w.getTransactionEventSequence() >= target.getTransactionEventSequence()) {
                return r.getCount();
            }
            if (System.nanoTime() > deadline) {
                finding("facts", "the segment service's facts stayed at " + w.toString().replace('\n', ' ')
                        + " below the streams' ends " + target.toString().replace('\n', ' '));
                return r.getCount();
            }
        }
    }

    private static String describe(List<CartItem> items) {
        Map<String, String> byProduct = new java.util.TreeMap<>();
        for (CartItem item : items) {
            byProduct.put(item.getProductId(), item.getQuantity() + "×" + decimal(item.getUnitPrice()).stripTrailingZeros().toPlainString());
        }
        return byProduct.toString();
    }

    private static String describeExpected(ExpectedCart cart) {
        Map<String, String> byProduct = new java.util.TreeMap<>();
        for (Line line : cart.lines.values()) {
            byProduct.put(line.product().id(), line.quantity() + "×" + line.product().price().stripTrailingZeros().toPlainString());
        }
        return byProduct.toString();
    }

    private static BigDecimal decimal(Money money) {
        return BigDecimal.valueOf(money.getUnits()).add(BigDecimal.valueOf(money.getNanos(), 9));
    }

    long cartEventCount() {
        return cartEvents.events();
    }

    long transactionEventCount() {
        return transactionEvents.events();
    }

    @Override
    public void close() {
        cartEvents.close();
        transactionEvents.close();
        for (ManagedChannel c : channels) {
            c.shutdownNow();
        }
    }

    static Map<String, Long> counts(Map<String, List<String>> findings) {
        Map<String, Long> out = new HashMap<>();
        findings.forEach((k, v) -> out.put(k, (long) v.size()));
        return out;
    }
}
