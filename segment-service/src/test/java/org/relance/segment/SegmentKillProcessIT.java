package org.relance.segment;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.Cart;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.LinkVisitorRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.UpdateCartItemOperation;
import org.relance.api.cart.v1.UpdateCartOperation;
import org.relance.api.cart.v1.WatchCartEventsRequest;
import org.relance.api.cart.v1.WatchCartEventsResponse;
import org.relance.api.common.v1.Money;
import org.relance.api.segment.v1.CountContactsRequest;
import org.relance.api.segment.v1.EqualityOperator;
import org.relance.api.segment.v1.MatchContactRequest;
import org.relance.api.segment.v1.NumberOperator;
import org.relance.api.segment.v1.RebuildFactsRequest;
import org.relance.api.segment.v1.RebuildFactsResponse;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.api.segment.v1.SegmentServiceGrpc;
import org.relance.api.segment.v1.StreamContactsRequest;
import org.relance.api.segment.v1.TextOperator;
import org.relance.api.transaction.v1.CartConversionState;
import org.relance.api.transaction.v1.GetTransactionRequest;
import org.relance.api.transaction.v1.RecordTransactionRequest;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionItem;
import org.relance.api.transaction.v1.TransactionServiceGrpc;
import org.relance.api.transaction.v1.WatchTransactionEventsRequest;
import org.relance.api.transaction.v1.WatchTransactionEventsResponse;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;

import org.relance.segment.support.Launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged segment service, fed by the packaged cart and transaction services, killed with
 * SIGKILL two or three times at random moments while carts and purchases keep coming, and
 * restarted on the same data: in the end its facts hold exactly what the other services
 * acknowledged (nothing lost, nothing counted twice) and equal a rebuild from zero.
 */
class SegmentKillProcessIT {
    private static final String TOKEN = Launcher.TOKEN;
    private static final String[] PRODUCTS = {"HDMI cable", "Laptop", "Wireless mouse", "USB-C cable", "Keyboard", "Monitor"};
    private static final String[] STATUSES = {"", "ValidateShippingStep", "PaymentStep"};
    private static final int CONTACTS = 120;
    private static final int VISITORS = 30;

    private final Path root = Path.of("target", "kill-" + UUID.randomUUID()).toAbsolutePath();
    private final List<Process> started = new CopyOnWriteArrayList<>();
    private final long t0 = System.nanoTime();
    private final BearerToken token = new BearerToken(TOKEN);
    private final List<ManagedChannel> channels = new ArrayList<>();

    private int cartPort;
    private int transactionPort;
    private int segmentPort;

    @AfterEach
    void stopAll() throws InterruptedException {
        for (ManagedChannel c : channels) {
            c.shutdownNow();
        }
        // The segment service first (it follows the others), then the transaction and cart services.
        List<Process> reversed = new ArrayList<>(started);
        java.util.Collections.reverse(reversed);
        for (Process p : reversed) {
            if (p.isAlive()) {
                p.destroy();
            }
        }
        for (Process p : reversed) {
            if (p.isAlive() && !p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        // A killed JVM leaves its postmaster: stop whatever still runs on our data folders.
        for (String name : List.of("segment", "transaction", "cart")) {
            Path pid = root.resolve(name).resolve("pg/postmaster.pid");
            if (Files.exists(pid)) {
                try {
                    long p = Long.parseLong(Files.readAllLines(pid).get(0).strip());
                    if (ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)) {
                        new ProcessBuilder("kill", "-INT", Long.toString(p)).start().waitFor();
                        log("stopped a leftover postmaster %d on %s", p, pid.getParent());
                    }
                } catch (IOException | NumberFormatException | IndexOutOfBoundsException e) {
                    // nothing left to stop
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The test
    // ---------------------------------------------------------------------------------------------

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void killedMidStreamTheFactsLoseNothingCountNothingTwiceAndEqualARebuild() throws Exception {
        Files.createDirectories(root);
        cartPort = Launcher.freePort();
        transactionPort = Launcher.freePort();
        segmentPort = Launcher.freePort();
        Process cart = launch("cart", "relance.cart.jar", cartPort, Map.of(), "-Drelance.cart.sweep-interval=1s");
        Process transaction = launch("transaction", "relance.transaction.jar", transactionPort,
                Map.of("RELANCE_CART_HOST", "localhost", "RELANCE_CART_PORT", Integer.toString(cartPort)),
                "-Drelance.transaction.conversion.interval=1s");
        Process segment = launch("segment", "relance.app.jar", segmentPort, segmentEnv());
        awaitReady("cart", cart, cartPort);
        awaitReady("transaction", transaction, transactionPort);
        awaitReady("segment", segment, segmentPort);
        log("three services ready");

        ManagedChannel cartChannel = channel(cartPort);
        ManagedChannel transactionChannel = channel(transactionPort);
        ManagedChannel segmentChannel = channel(segmentPort);
        CartServiceGrpc.CartServiceBlockingStub carts = CartServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        TransactionServiceGrpc.TransactionServiceBlockingStub transactions =
                TransactionServiceGrpc.newBlockingStub(transactionChannel).withCallCredentials(token);
        SegmentServiceGrpc.SegmentServiceBlockingStub segments = SegmentServiceGrpc.newBlockingStub(segmentChannel).withCallCredentials(token);

        String store = "kill-" + UUID.randomUUID().toString().substring(0, 8);
        StoreServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token).createStore(CreateStoreRequest.newBuilder()
                .setStore(Store.newBuilder().setStoreId(store).setCurrencyCode("EUR").setTimeZone("Europe/Paris")
                        .setAbandonmentDelay(Duration.newBuilder().setSeconds(5))).build());

        // Load: carts for many contacts (and anonymous visitors, linked later), changes that
        // reopen abandoned carts, purchases naming carts and purchases without a cart.
        Load load = new Load(store, carts, transactions, new Random());
        Thread loader = new Thread(load, "load");
        loader.start();

        Random random = new Random();
        int kills = 2 + random.nextInt(2);
        List<String> killNotes = new ArrayList<>();
        Thread.sleep(1500 + random.nextInt(2000));
        for (int k = 1; k <= kills; k++) {
            long[] before = positions();
            long killedAt = System.nanoTime();
            segment.destroyForcibly();
            assertThat(segment.waitFor(20, TimeUnit.SECONDS)).isTrue();
            String note = String.format("kill %d at %.1fs: stream_position cart=%d tx=%d, load had %d submits/%d purchases acknowledged",
                    k, seconds(killedAt), before[0], before[1], load.submits.get(), load.purchaseCount());
            // Sometimes restart at once, sometimes let events pile up first (catch-up is then killed too).
            Thread.sleep(random.nextInt(1500));
            segment = launch("segment", "relance.app.jar", segmentPort, segmentEnv());
            awaitReady("segment", segment, segmentPort);
            note += String.format(", restarted and ready after %.1fs", (System.nanoTime() - killedAt) / 1e9);
            killNotes.add(note);
            log("%s", note);
            if (k < kills) {
                Thread.sleep(300 + random.nextInt(3500));
            }
        }
        Thread.sleep(2500);
        load.stop.set(true);
        loader.join(30_000);
        assertThat(loader.isAlive()).isFalse();
        assertThat(load.errors).as("load errors").isEmpty();
        log("load stopped: %d submits, %d links, %d purchases acknowledged, %d carts", load.submits.get(), load.links.get(),
                load.purchaseCount(), load.cartOwners.size());

        // Settle: every cart abandoned or converted, every conversion confirmed, so the streams stop moving.
        Map<String, Cart> truth = new TreeMap<>();
        await().atMost(40, TimeUnit.SECONDS).pollInterval(1, TimeUnit.SECONDS).until(() -> {
            truth.clear();
            for (String cartId : load.cartOwners.keySet()) {
                truth.put(cartId, carts.getCart(GetCartRequest.newBuilder().setStoreId(store).setCartId(cartId).build()).getCart());
            }
            boolean cartsSettled = truth.values().stream().noneMatch(c -> c.getState() == CartState.CART_STATE_ACTIVE);
            boolean conversionsSettled = load.purchases.stream().filter(p -> p.cartId != null).allMatch(p ->
                    transactions.getTransaction(GetTransactionRequest.newBuilder().setStoreId(store).setTransactionId(p.transactionId)
                            .build()).getTransaction().getCartConversionState() != CartConversionState.CART_CONVERSION_STATE_PENDING);
            return cartsSettled && conversionsSettled;
        });
        log("carts and conversions settled");
        long cartHead = cartHead(cartChannel);
        long transactionHead = transactionHead(transactionChannel);
        log("stream heads: cart %d, transaction %d", cartHead, transactionHead);

        // The facts reach the heads and stop changing.
        awaitPositions(cartHead, transactionHead, "after the load");
        Map<String, List<String>> facts = awaitStableFacts();
        log("facts at the heads: %d contact_fact, %d cart_fact, %d purchase_fact rows", facts.get("contact_fact").size(),
                facts.get("cart_fact").size(), facts.get("purchase_fact").size());

        // (b) The facts hold exactly what the cart and transaction services acknowledged.
        checkAgainstAcknowledged(store, load, truth, segments);
        Map<String, Object> answers = answers(store, segments, load.knownContacts());

        // (a) A rebuild from zero ends identical.
        long rebuildStart = System.nanoTime();
        AtomicBoolean rebuilding = new AtomicBoolean(true);
        AtomicLong minDuringRebuild = new AtomicLong(Long.MAX_VALUE);
        SegmentCondition purchased = hasPurchased(store);
        Thread observer = new Thread(() -> {
            while (rebuilding.get()) {
                try {
                    long n = segments.withDeadlineAfter(2, TimeUnit.SECONDS).countContacts(CountContactsRequest.newBuilder()
                            .setCondition(purchased).build()).getCount();
                    minDuringRebuild.accumulateAndGet(n, Math::min);
                    Thread.sleep(20);
                } catch (StatusRuntimeException | InterruptedException e) {
                    // observation only
                }
            }
        }, "rebuild-observer");
        observer.start();
        RebuildFactsResponse rebuilt;
        try {
            rebuilt = segments.withDeadlineAfter(60, TimeUnit.SECONDS)
                    .rebuildFacts(RebuildFactsRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).build());
        } finally {
            rebuilding.set(false);
            observer.join(5000);
        }
        log("rebuild answered after %.1fs: watermark cart=%d tx=%d; HasPurchased count during the rebuild went as low as %d (%d before)",
                (System.nanoTime() - rebuildStart) / 1e9, rebuilt.getWatermark().getCartEventSequence(),
                rebuilt.getWatermark().getTransactionEventSequence(), minDuringRebuild.get(), load.purchaseContacts().size());
        Map<String, List<String>> atAnswer = dump();
        long[] positionsAtAnswer = positions();
        awaitPositions(cartHead, transactionHead, "after the rebuild");
        Map<String, List<String>> rebuiltFacts = awaitStableFacts();
        assertSameFacts("facts after the rebuild (once at the heads)", rebuiltFacts, facts);
        assertThat(answers(store, segments, load.knownContacts())).as("gRPC answers after the rebuild").isEqualTo(answers);
        assertThat(new long[] {rebuilt.getWatermark().getCartEventSequence(), rebuilt.getWatermark().getTransactionEventSequence()})
                .as("RebuildFacts answered before the replay reached the stream heads (stream_position then: %s)",
                        java.util.Arrays.toString(positionsAtAnswer))
                .containsExactly(cartHead, transactionHead);
        assertSameFacts("facts when RebuildFacts answered", atAnswer, facts);
        log("done: %s", String.join("; ", killNotes));
    }

    // ---------------------------------------------------------------------------------------------
    // Load generator
    // ---------------------------------------------------------------------------------------------

    private record Purchase(String transactionId, String contactId, String cartId) {
    }

    /** What the load thread was told was applied. */
    private static final class Load implements Runnable {
        final String store;
        final CartServiceGrpc.CartServiceBlockingStub carts;
        final TransactionServiceGrpc.TransactionServiceBlockingStub transactions;
        final Random random;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong submits = new AtomicLong();
        final AtomicLong links = new AtomicLong();
        final List<String> errors = new CopyOnWriteArrayList<>();
        /** Acknowledged carts: cart id → owner ("contact:x" or "visitor:v"). */
        final Map<String, String> cartOwners = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
        final Set<String> purchasedCarts = java.util.Collections.synchronizedSet(new TreeSet<>());
        final List<Purchase> purchases = new CopyOnWriteArrayList<>();
        final Map<String, String> visitorContact = new HashMap<>();
        final Set<String> linkedVisitors = java.util.Collections.synchronizedSet(new TreeSet<>());
        final Set<String> namedContacts = java.util.Collections.synchronizedSet(new TreeSet<>());
        int nextCart;
        int nextTransaction;

        Load(String store, CartServiceGrpc.CartServiceBlockingStub carts, TransactionServiceGrpc.TransactionServiceBlockingStub transactions,
             Random random) {
            this.store = store;
            this.carts = carts;
            this.transactions = transactions;
            this.random = random;
            for (int v = 0; v < VISITORS; v++) {
                visitorContact.put(String.format("v-%03d", v), contact(random.nextInt(CONTACTS)));
            }
        }

        static String contact(int i) {
            return String.format("k-%03d", i);
        }

        int purchaseCount() {
            return purchases.size();
        }

        Set<String> purchaseContacts() {
            Set<String> s = new TreeSet<>();
            purchases.forEach(p -> s.add(p.contactId));
            return s;
        }

        Set<String> knownContacts() {
            return new TreeSet<>(namedContacts);
        }

        @Override
        public void run() {
            while (!stop.get()) {
                try {
                    step();
                } catch (RuntimeException e) {
                    errors.add(e.toString());
                    if (errors.size() > 20) {
                        return;
                    }
                }
            }
        }

        private void step() {
            int r = random.nextInt(100);
            if (r < 35 || cartOwners.isEmpty()) {
                newCart(contact(random.nextInt(CONTACTS)), null);
            } else if (r < 45) {
                newCart(null, String.format("v-%03d", random.nextInt(VISITORS)));
            } else if (r < 70) {
                changeCart();
            } else if (r < 75) {
                link();
            } else if (r < 95) {
                purchaseCart();
            } else {
                purchase(contact(random.nextInt(CONTACTS)), null);
            }
        }

        private Money money(int cents) {
            return Moneys.toMoney(BigDecimal.valueOf(cents, 2), "EUR");
        }

        private void newCart(String contactId, String visitorId) {
            String cartId = String.format("c-%05d", nextCart++);
            SubmitCartRequest.Builder b = SubmitCartRequest.newBuilder().setStoreId(store).setSubmitId(UUID.randomUUID().toString());
            if (contactId != null) {
                b.setContactId(contactId);
            } else {
                b.setVisitorId(visitorId);
            }
            String status = STATUSES[random.nextInt(STATUSES.length)];
            AddCartOperation.Builder add = AddCartOperation.newBuilder().setCartId(cartId).setTotalPrice(money(500 + random.nextInt(20000)));
            if (!status.isEmpty()) {
                add.setStatus(status);
            }
            b.addOperations(CartOperation.newBuilder().setAddCart(add));
            int lines = 1 + random.nextInt(3);
            int first = random.nextInt(PRODUCTS.length);
            for (int i = 0; i < lines; i++) {
                int p = (first + i) % PRODUCTS.length;
                b.addOperations(CartOperation.newBuilder().setAddCartItem(AddCartItemOperation.newBuilder().setCartId(cartId)
                        .setProductId("p" + p).setProductName(PRODUCTS[p]).setUnitPrice(money(100 + 100 * p))
                        .setQuantity(1 + random.nextInt(3))));
            }
            submit(b.build());
            cartOwners.put(cartId, contactId != null ? "contact:" + contactId : "visitor:" + visitorId);
            if (contactId != null) {
                namedContacts.add(contactId);
            }
        }

        private String randomOpenCart() {
            List<String> open = new ArrayList<>();
            synchronized (cartOwners) {
                for (String id : cartOwners.keySet()) {
                    if (!purchasedCarts.contains(id)) {
                        open.add(id);
                    }
                }
            }
            return open.isEmpty() ? null : open.get(random.nextInt(open.size()));
        }

        private void changeCart() {
            String cartId = randomOpenCart();
            if (cartId == null) {
                return;
            }
            String owner = cartOwners.get(cartId);
            SubmitCartRequest.Builder b = SubmitCartRequest.newBuilder().setStoreId(store).setSubmitId(UUID.randomUUID().toString());
            if (owner.startsWith("contact:")) {
                b.setContactId(owner.substring(8));
            } else {
                b.setVisitorId(owner.substring(8));
            }
            UpdateCartOperation.Builder update = UpdateCartOperation.newBuilder().setCartId(cartId)
                    .setTotalPrice(money(500 + random.nextInt(20000)));
            if (random.nextBoolean()) {
                update.setStatus(STATUSES[random.nextInt(STATUSES.length)]);
            }
            b.addOperations(CartOperation.newBuilder().setUpdateCart(update));
            int p = random.nextInt(PRODUCTS.length);
            b.addOperations(CartOperation.newBuilder().setUpdateCartItem(UpdateCartItemOperation.newBuilder().setCartId(cartId)
                    .setProductId("p" + p).setProductName(PRODUCTS[p]).setUnitPrice(money(100 + 100 * p)).setQuantity(1 + random.nextInt(4))));
            submit(b.build());
        }

        private void submit(SubmitCartRequest request) {
            RuntimeException last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                try {
                    carts.withDeadlineAfter(10, TimeUnit.SECONDS).submitCart(request);
                    submits.incrementAndGet();
                    return;
                } catch (StatusRuntimeException e) {
                    last = e; // a repeat with the same submit_id is applied once
                }
            }
            throw new IllegalStateException("submit " + request.getOperations(0) + " not acknowledged", last);
        }

        private void link() {
            String visitor = String.format("v-%03d", random.nextInt(VISITORS));
            if (linkedVisitors.contains(visitor)) {
                return;
            }
            String contactId = visitorContact.get(visitor);
            carts.withDeadlineAfter(10, TimeUnit.SECONDS).linkVisitor(LinkVisitorRequest.newBuilder().setStoreId(store)
                    .setVisitorId(visitor).setContactId(contactId).build());
            linkedVisitors.add(visitor);
            namedContacts.add(contactId);
            links.incrementAndGet();
        }

        private void purchaseCart() {
            String cartId = randomOpenCart();
            if (cartId == null) {
                return;
            }
            String owner = cartOwners.get(cartId);
            String contactId;
            if (owner.startsWith("contact:")) {
                contactId = owner.substring(8);
            } else if (linkedVisitors.contains(owner.substring(8))) {
                contactId = visitorContact.get(owner.substring(8));
            } else {
                return; // an anonymous visitor's cart: bought later, once linked
            }
            purchasedCarts.add(cartId);
            purchase(contactId, cartId);
        }

        private void purchase(String contactId, String cartId) {
            String transactionId = String.format("t-%05d", nextTransaction++);
            int cents = 500 + random.nextInt(20000);
            Transaction.Builder t = Transaction.newBuilder().setStoreId(store).setTransactionId(transactionId).setContactId(contactId)
                    .setRevenue(money(cents)).setTax(money(0)).setShipping(money(0))
                    .addItems(TransactionItem.newBuilder().setProductId("p0").setProductName(PRODUCTS[0]).setUnitPrice(money(cents))
                            .setTotalPrice(money(cents)).setQuantity(1));
            if (cartId != null) {
                t.setCartId(cartId);
            }
            RuntimeException last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                try {
                    transactions.withDeadlineAfter(10, TimeUnit.SECONDS)
                            .recordTransaction(RecordTransactionRequest.newBuilder().setTransaction(t).build());
                    purchases.add(new Purchase(transactionId, contactId, cartId));
                    namedContacts.add(contactId);
                    return;
                } catch (StatusRuntimeException e) {
                    last = e; // idempotent by transaction id
                }
            }
            throw new IllegalStateException("purchase " + transactionId + " not acknowledged", last);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Checks
    // ---------------------------------------------------------------------------------------------

    private void checkAgainstAcknowledged(String store, Load load, Map<String, Cart> truth, SegmentServiceGrpc.SegmentServiceBlockingStub segments)
            throws SQLException {
        // Ground truth from the cart service (GetCart) and the acknowledged purchases.
        Set<String> abandoned = new TreeSet<>();
        Set<String> recovered = new TreeSet<>();
        Map<String, Integer> recoveredCount = new TreeMap<>();
        Map<String, Cart> lastAbandoned = new TreeMap<>();
        for (Cart c : truth.values()) {
            if (c.getContactId().isEmpty()) {
                continue;
            }
            if (c.getState() == CartState.CART_STATE_ABANDONED) {
                abandoned.add(c.getContactId());
                Cart best = lastAbandoned.get(c.getContactId());
                if (best == null || compare(c.getAbandonTime(), best.getAbandonTime()) > 0
                        || compare(c.getAbandonTime(), best.getAbandonTime()) == 0 && c.getCartId().compareTo(best.getCartId()) > 0) {
                    lastAbandoned.put(c.getContactId(), c);
                }
            }
            if (c.getRecovered()) {
                recovered.add(c.getContactId());
                recoveredCount.merge(c.getContactId(), 1, Integer::sum);
            }
        }
        Map<String, Integer> purchaseCount = new TreeMap<>();
        load.purchases.forEach(p -> purchaseCount.merge(p.contactId, 1, Integer::sum));
        log("acknowledged: %d carts (%d abandoned, %d converted, %d recovered), %d purchases by %d contacts; "
                        + "%d contacts with an abandoned cart, %d with a recovered one",
                truth.size(), truth.values().stream().filter(c -> c.getState() == CartState.CART_STATE_ABANDONED).count(),
                truth.values().stream().filter(c -> c.getState() == CartState.CART_STATE_CONVERTED).count(),
                truth.values().stream().filter(Cart::getRecovered).count(), load.purchases.size(), purchaseCount.size(),
                abandoned.size(), recovered.size());
        assertThat(abandoned).as("the load produced abandoned carts").isNotEmpty();
        assertThat(load.purchases).as("the load produced purchases").isNotEmpty();

        try (Connection db = connect()) {
            // Every acknowledged cart once, as the cart service has it.
            Map<String, String> cartRows = new TreeMap<>();
            for (List<Object> row : query(db, "SELECT cart_id, contact_id, state, episode, recovered FROM cart_fact WHERE store_id = '"
                    + store + "' ORDER BY cart_id")) {
                cartRows.put((String) row.get(0), row.get(1) + "/" + row.get(2) + "/" + row.get(3) + "/" + row.get(4));
            }
            Map<String, String> expectedCarts = new TreeMap<>();
            truth.forEach((id, c) -> expectedCarts.put(id, (c.getContactId().isEmpty() ? "null" : c.getContactId()) + "/"
                    + c.getStateValue() + "/" + c.getEpisode() + "/" + (c.getRecovered() ? "t" : "f")));
            assertThat(cartRows).as("cart_fact (contact/state/episode/recovered) vs GetCart").isEqualTo(expectedCarts);

            // Every acknowledged purchase once.
            Map<String, String> purchaseRows = new TreeMap<>();
            for (List<Object> row : query(db, "SELECT transaction_id, contact_id, coalesce(cart_id, '') FROM purchase_fact WHERE store_id = '"
                    + store + "' ORDER BY transaction_id")) {
                purchaseRows.put((String) row.get(0), row.get(1) + "/" + row.get(2));
            }
            Map<String, String> expectedPurchases = new TreeMap<>();
            load.purchases.forEach(p -> expectedPurchases.put(p.transactionId, p.contactId + "/" + (p.cartId == null ? "" : p.cartId)));
            assertThat(purchaseRows).as("purchase_fact vs acknowledged purchases").isEqualTo(expectedPurchases);

            // Per contact (all stores, and the store): abandoned, last abandoned cart, recovered count, purchase count.
            for (String scope : List.of("", store)) {
                Map<String, String> contactRows = new TreeMap<>();
                for (List<Object> row : query(db, "SELECT contact_id, has_abandoned, coalesce(last_cart_id, '-'), recovered_count, purchase_count "
                        + "FROM contact_fact WHERE scope = '" + scope + "' AND (has_abandoned OR recovered_count > 0 OR purchase_count > 0) "
                        + "ORDER BY contact_id")) {
                    contactRows.put((String) row.get(0), row.get(1) + "/" + row.get(2) + "/" + row.get(3) + "/" + row.get(4));
                }
                Map<String, String> expectedContacts = new TreeMap<>();
                Set<String> all = new TreeSet<>(abandoned);
                all.addAll(recovered);
                all.addAll(purchaseCount.keySet());
                for (String contact : all) {
                    Cart last = lastAbandoned.get(contact);
                    expectedContacts.put(contact, (last != null ? "t" : "f") + "/" + (last != null ? last.getCartId() : "-") + "/"
                            + recoveredCount.getOrDefault(contact, 0) + "/" + purchaseCount.getOrDefault(contact, 0));
                }
                assertThat(contactRows).as("contact_fact scope '%s' (has_abandoned/last_cart/recovered/purchases) vs acknowledged", scope)
                        .isEqualTo(expectedContacts);
            }
        }

        // The same through the segment questions.
        assertThat(ids(segments, abandonedCondition(""))).as("HasAbandonedCart").isEqualTo(abandoned);
        assertThat(count(segments, abandonedCondition(store))).as("HasAbandonedCart(store) count").isEqualTo(abandoned.size());
        assertThat(ids(segments, recoveredCondition())).as("HasRecoveredCart").isEqualTo(recovered);
        assertThat(count(segments, hasPurchased(store))).as("HasPurchased count = contacts with an acknowledged purchase")
                .isEqualTo(purchaseCount.size());
        assertThat(ids(segments, hasPurchased(store))).as("HasPurchased").isEqualTo(purchaseCount.keySet());
        Set<String> notAbandoned = new TreeSet<>(load.knownContacts());
        notAbandoned.removeAll(abandoned);
        assertThat(ids(segments, not(abandonedCondition("")))).as("NOT HasAbandonedCart").isEqualTo(notAbandoned);
    }

    private static int compare(Timestamp a, Timestamp b) {
        return a.getSeconds() != b.getSeconds() ? Long.compare(a.getSeconds(), b.getSeconds()) : Integer.compare(a.getNanos(), b.getNanos());
    }

    /** Counts of several questions, the matching ids, and MatchContact of every contact. */
    private static Map<String, Object> answers(String store, SegmentServiceGrpc.SegmentServiceBlockingStub segments, Set<String> contacts) {
        Map<String, SegmentCondition> questions = new LinkedHashMap<>();
        questions.put("abandoned", abandonedCondition(""));
        questions.put("abandoned-in-store", abandonedCondition(store));
        questions.put("recovered", recoveredCondition());
        questions.put("purchased", hasPurchased(store));
        questions.put("value>100", SegmentCondition.newBuilder().setLastAbandonedCartValue(SegmentCondition.LastAbandonedCartValue.newBuilder()
                .setOperator(NumberOperator.NUMBER_OPERATOR_GREATER).setAmount(Moneys.toMoney(new BigDecimal("100"), "EUR"))).build());
        questions.put("products>=2", SegmentCondition.newBuilder().setLastAbandonedCartProductCount(
                SegmentCondition.LastAbandonedCartProductCount.newBuilder().setOperator(NumberOperator.NUMBER_OPERATOR_GREATER_OR_EQUAL)
                        .setCount(2)).build());
        questions.put("cable", SegmentCondition.newBuilder().setLastAbandonedCartProductName(SegmentCondition.LastAbandonedCartProductName
                .newBuilder().setOperator(TextOperator.TEXT_OPERATOR_CONTAINS).setText("CABLE")).build());
        questions.put("shipping-step", SegmentCondition.newBuilder().setLastAbandonedCartStatus(SegmentCondition.LastAbandonedCartStatus
                .newBuilder().setOperator(EqualityOperator.EQUALITY_OPERATOR_IS).setText("validateshippingstep")).build());
        questions.put("abandoned-and-not-purchased", and(abandonedCondition(""), not(hasPurchased(store))));
        questions.put("recovered-or-cable", SegmentCondition.newBuilder().setOrCondition(SegmentCondition.Or.newBuilder()
                .addConditions(recoveredCondition()).addConditions(questions.get("cable"))).build());
        Map<String, Object> answers = new LinkedHashMap<>();
        for (Map.Entry<String, SegmentCondition> q : questions.entrySet()) {
            answers.put("count " + q.getKey(), count(segments, q.getValue()));
            answers.put("ids " + q.getKey(), ids(segments, q.getValue()));
        }
        for (String key : List.of("abandoned", "purchased", "value>100", "abandoned-and-not-purchased")) {
            Map<String, Boolean> matches = new TreeMap<>();
            for (String contact : contacts) {
                matches.put(contact, segments.withDeadlineAfter(5, TimeUnit.SECONDS).matchContact(MatchContactRequest.newBuilder()
                        .setContactId(contact).setCondition(questions.get(key)).build()).getMatches());
            }
            answers.put("match " + key, matches);
        }
        return answers;
    }

    private static long count(SegmentServiceGrpc.SegmentServiceBlockingStub segments, SegmentCondition condition) {
        return segments.withDeadlineAfter(5, TimeUnit.SECONDS).countContacts(CountContactsRequest.newBuilder().setCondition(condition).build())
                .getCount();
    }

    private static Set<String> ids(SegmentServiceGrpc.SegmentServiceBlockingStub segments, SegmentCondition condition) {
        Set<String> ids = new TreeSet<>();
        Iterator<org.relance.api.segment.v1.StreamContactsResponse> it = segments.withDeadlineAfter(10, TimeUnit.SECONDS)
                .streamContacts(StreamContactsRequest.newBuilder().setCondition(condition).build());
        it.forEachRemaining(r -> ids.addAll(r.getContactIdsList()));
        return ids;
    }

    private static SegmentCondition abandonedCondition(String store) {
        return SegmentCondition.newBuilder().setHasAbandonedCart(SegmentCondition.HasAbandonedCart.newBuilder().setStoreId(store)).build();
    }

    private static SegmentCondition recoveredCondition() {
        return SegmentCondition.newBuilder().setHasRecoveredCart(SegmentCondition.HasRecoveredCart.newBuilder()).build();
    }

    private static SegmentCondition hasPurchased(String store) {
        return SegmentCondition.newBuilder().setHasPurchased(SegmentCondition.HasPurchased.newBuilder().setStoreId(store)).build();
    }

    private static SegmentCondition not(SegmentCondition c) {
        return SegmentCondition.newBuilder().setNotCondition(SegmentCondition.Not.newBuilder().setCondition(c)).build();
    }

    private static SegmentCondition and(SegmentCondition... c) {
        return SegmentCondition.newBuilder().setAndCondition(SegmentCondition.And.newBuilder().addAllConditions(List.of(c))).build();
    }

    private static void assertSameFacts(String what, Map<String, List<String>> actual, Map<String, List<String>> expected) {
        for (String table : expected.keySet()) {
            List<String> missing = new ArrayList<>(expected.get(table));
            missing.removeAll(actual.get(table));
            List<String> extra = new ArrayList<>(actual.get(table));
            extra.removeAll(expected.get(table));
            assertThat(actual.get(table)).as("%s: %s differs; rows only before: %s; rows only after: %s", what, table,
                    head(missing), head(extra)).isEqualTo(expected.get(table));
        }
    }

    private static List<String> head(List<String> rows) {
        return rows.size() <= 10 ? rows : rows.subList(0, 10);
    }

    // ---------------------------------------------------------------------------------------------
    // Stream heads
    // ---------------------------------------------------------------------------------------------

    private long cartHead(ManagedChannel channel) {
        return head("cart", observer -> CartServiceGrpc.newStub(channel).withCallCredentials(token)
                .watchCartEvents(WatchCartEventsRequest.newBuilder().setAfterSequence(0).build(), new StreamObserver<WatchCartEventsResponse>() {
                    @Override
                    public void onNext(WatchCartEventsResponse value) {
                        observer.onNext(value.getEvent().getSequence());
                    }

                    @Override
                    public void onError(Throwable t) {
                        observer.onError(t);
                    }

                    @Override
                    public void onCompleted() {
                        observer.onCompleted();
                    }
                }));
    }

    private long transactionHead(ManagedChannel channel) {
        return head("transaction", observer -> TransactionServiceGrpc.newStub(channel).withCallCredentials(token)
                .watchTransactionEvents(WatchTransactionEventsRequest.newBuilder().setAfterSequence(0).build(),
                        new StreamObserver<WatchTransactionEventsResponse>() {
                            @Override
                            public void onNext(WatchTransactionEventsResponse value) {
                                observer.onNext(value.getEvent().getSequence());
                            }

                            @Override
                            public void onError(Throwable t) {
                                observer.onError(t);
                            }

                            @Override
                            public void onCompleted() {
                                observer.onCompleted();
                            }
                        }));
    }

    /** Reads a stream from 0 until it is idle for a second; checks 1..n without gap; returns n. */
    private static long head(String name, java.util.function.Consumer<StreamObserver<Long>> open) {
        AtomicLong count = new AtomicLong();
        AtomicLong last = new AtomicLong();
        AtomicLong lastAt = new AtomicLong(System.nanoTime());
        AtomicReference<String> problem = new AtomicReference<>();
        Context.CancellableContext context = Context.current().withCancellation();
        context.run(() -> open.accept(new StreamObserver<>() {
            @Override
            public void onNext(Long sequence) {
                if (sequence != last.get() + 1 && problem.get() == null) {
                    problem.set(name + " stream: " + sequence + " after " + last.get());
                }
                last.set(sequence);
                count.incrementAndGet();
                lastAt.set(System.nanoTime());
            }

            @Override
            public void onError(Throwable t) {
                if (!context.isCancelled()) {
                    problem.compareAndSet(null, name + " stream failed: " + t);
                }
            }

            @Override
            public void onCompleted() {
                problem.compareAndSet(null, name + " stream completed");
            }
        }));
        try {
            await().atMost(30, TimeUnit.SECONDS).pollInterval(100, TimeUnit.MILLISECONDS)
                    .until(() -> problem.get() != null || System.nanoTime() - lastAt.get() > TimeUnit.MILLISECONDS.toNanos(1200));
        } finally {
            context.cancel(null);
        }
        assertThat(problem.get()).isNull();
        assertThat(count.get()).isEqualTo(last.get());
        return last.get();
    }

    // ---------------------------------------------------------------------------------------------
    // The segment service's database
    // ---------------------------------------------------------------------------------------------

    private Connection connect() throws SQLException {
        try {
            List<String> pid = Files.readAllLines(root.resolve("segment/pg/postmaster.pid"));
            return DriverManager.getConnection("jdbc:postgresql://localhost:" + pid.get(3).strip() + "/postgres?user=postgres");
        } catch (IOException e) {
            throw new SQLException("no postmaster.pid", e);
        }
    }

    private static List<List<Object>> query(Connection db, String sql) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    Object o = rs.getObject(i);
                    row.add(o instanceof Boolean b ? (b ? "t" : "f") : o == null ? "null" : o instanceof String ? o : o.toString());
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** (cart, transaction) positions in stream_position. */
    private long[] positions() {
        try (Connection db = connect()) {
            long[] p = new long[2];
            for (List<Object> row : query(db, "SELECT stream, sequence FROM stream_position WHERE stream IN ('cart', 'transaction')")) {
                p["cart".equals(row.get(0)) ? 0 : 1] = Long.parseLong(row.get(1).toString());
            }
            return p;
        } catch (SQLException e) {
            return new long[] {-1, -1};
        }
    }

    /** Waits until stream_position holds the heads; fails with where it stands (and how it moved). */
    private void awaitPositions(long cartHead, long transactionHead, String when) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<String> seen = new ArrayList<>();
        long[] p = positions();
        long nextSample = 0;
        while (p[0] != cartHead || p[1] != transactionHead) {
            if (System.nanoTime() - nextSample >= 0) {
                seen.add(p[0] + "/" + p[1]);
                nextSample = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(String.format("%s the facts did not reach the stream heads within 30s: stream_position cart=%d "
                                + "transaction=%d, heads cart=%d transaction=%d (cart/transaction positions every 2s: %s); see %s", when, p[0], p[1],
                        cartHead, transactionHead, seen, root.resolve("segment/service.log")));
            }
            Thread.sleep(200);
            p = positions();
        }
        log("%s the facts reached the heads", when);
    }

    /** Every row of the three fact tables, as text, in key order. */
    private Map<String, List<String>> dump() throws SQLException {
        Map<String, List<String>> tables = new LinkedHashMap<>();
        try (Connection db = connect()) {
            db.setAutoCommit(false);
            db.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            for (String[] t : new String[][] {{"contact_fact", "contact_id, scope"}, {"cart_fact", "store_id, cart_id"},
                    {"purchase_fact", "store_id, transaction_id"}}) {
                List<String> rows = new ArrayList<>();
                try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + t[0] + " ORDER BY " + t[1])) {
                    ResultSetMetaData md = rs.getMetaData();
                    while (rs.next()) {
                        StringBuilder b = new StringBuilder();
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            b.append(i > 1 ? " | " : "").append(md.getColumnName(i)).append('=').append(rs.getString(i));
                        }
                        rows.add(b.toString());
                    }
                }
                tables.put(t[0], rows);
            }
            db.commit();
        }
        return tables;
    }

    /** Dumps the facts until two consecutive dumps are equal. */
    private Map<String, List<String>> awaitStableFacts() throws Exception {
        AtomicReference<Map<String, List<String>>> previous = new AtomicReference<>(dump());
        AtomicReference<Map<String, List<String>>> stable = new AtomicReference<>();
        await().atMost(20, TimeUnit.SECONDS).pollInterval(500, TimeUnit.MILLISECONDS).until(() -> {
            Map<String, List<String>> now = dump();
            if (now.equals(previous.get())) {
                stable.set(now);
                return true;
            }
            previous.set(now);
            return false;
        });
        return stable.get();
    }

    // ---------------------------------------------------------------------------------------------
    // Processes
    // ---------------------------------------------------------------------------------------------

    private Map<String, String> segmentEnv() {
        return Map.of("RELANCE_CART_HOST", "localhost", "RELANCE_CART_PORT", Integer.toString(cartPort),
                "RELANCE_TRANSACTION_HOST", "localhost", "RELANCE_TRANSACTION_PORT", Integer.toString(transactionPort));
    }

    private ManagedChannel channel(int port) {
        ManagedChannel c = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        channels.add(c);
        return c;
    }


    private Process launch(String name, String jarProperty, int port, Map<String, String> env, String... extra) throws IOException {
        Process process = Launcher.launch(jarProperty, root.resolve(name), port, env, List.of(extra));
        started.add(process);
        return process;
    }

    private void awaitReady(String name, Process process, int port) {
        await().atMost(60, TimeUnit.SECONDS).pollInterval(100, TimeUnit.MILLISECONDS).until(() -> {
            assertThat(process.isAlive()).as(name + " died, see " + root.resolve(name).resolve("service.log")).isTrue();
            return Launcher.ready(port);
        });
    }


    private double seconds(long nanos) {
        return (nanos - t0) / 1e9;
    }

    private void log(String format, Object... args) {
        System.out.printf("[kill-it %6.1fs] %s%n", seconds(System.nanoTime()), String.format(format, args));
    }
}
