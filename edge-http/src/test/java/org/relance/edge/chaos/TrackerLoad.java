package org.relance.edge.chaos;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A steady stream of tracker batches to the edge, as many shoppers' browsers would send them
 * (docs/tracker-protocol.md): every batch carries submits with unique ids, every cart submit a
 * new cart; a visitor's first batch identifies it by e-mail, and now and then a visitor buys one
 * of its acknowledged carts. The generator behaves as the tracker does: a 204 forgets the batch
 * (and the generator records everything in it as acknowledged); a 503, another 5xx or a network
 * error keeps it and sends the very same body again later. It remembers what it expects to be
 * stored, so that the run can compare.
 */
final class TrackerLoad {
    /** What the shop sells; the names feed the segment conditions of the check. */
    static final List<Product> PRODUCTS = List.of(
            new Product("p-hdmi", "HDMI cable", "Cables", new BigDecimal("19.90")),
            new Product("p-laptop", "Laptop 14", "Computers", new BigDecimal("899.00")),
            new Product("p-mouse", "Wireless mouse", "Accessories", new BigDecimal("24.50")),
            new Product("p-hub", "USB-C hub", "Accessories", new BigDecimal("49.99")),
            new Product("p-screen", "Monitor 27", "Screens", new BigDecimal("189.00")));

    private final String endpoint;
    private final int batchesPerSecond;
    private final int visitors;
    private final Random random;
    private final HttpClient http;
    private final ExecutorService httpThreads = Executors.newFixedThreadPool(4);
    private final Semaphore inFlight = new Semaphore(64);
    private final DelayQueue<Pending> retries = new DelayQueue<>();
    private final Map<String, ExpectedCart> carts = new ConcurrentHashMap<>();
    private final Map<String, ExpectedTransaction> transactions = new ConcurrentHashMap<>();
    private final Map<Integer, List<String>> openCartsByVisitor = new ConcurrentHashMap<>();
    private final Map<Integer, Boolean> identified = new ConcurrentHashMap<>();
    private final Set<Integer> identifying = ConcurrentHashMap.newKeySet();
    private final Map<String, Batch> unacknowledged = new ConcurrentHashMap<>();
    private final AtomicReference<Phase> phase = new AtomicReference<>(new Phase("warm-up"));
    private final List<Phase> phases = Collections.synchronizedList(new ArrayList<>());
    private final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong batchesSent = new AtomicLong();
    private final AtomicLong attempts = new AtomicLong();
    private volatile boolean producing;
    private Thread driver;

    TrackerLoad(String edgeBase, String siteKey, int batchesPerSecond, int visitors, long seed) {
        this.endpoint = edgeBase + "/t/" + siteKey;
        this.batchesPerSecond = batchesPerSecond;
        this.visitors = visitors;
        this.random = new Random(seed);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2))
                .executor(httpThreads).build();
        phases.add(phase.get());
    }

    /** Starts sending: new batches at the configured rate, retries when they are due. */
    void start() {
        producing = true;
        driver = new Thread(this::drive, "tracker-load");
        driver.setDaemon(true);
        driver.start();
    }

    /** From now on, outcomes are counted under {@code name}. */
    void phase(String name) {
        Phase next = new Phase(name);
        phases.add(next);
        phase.set(next);
    }

    /** Stops making new batches; retries go on until everything is acknowledged or {@link #close}. */
    void stopProducing() {
        producing = false;
    }

    /** True once every batch ever sent was acknowledged. */
    boolean drained() {
        return unacknowledged.isEmpty();
    }

    int unacknowledgedCount() {
        return unacknowledged.size();
    }

    void close() {
        producing = false;
        if (driver != null) {
            driver.interrupt();
        }
        httpThreads.shutdownNow();
    }

    /**
     * Sends one new cart batch at once and answers whether it was acknowledged: the run's probe
     * that the whole path (edge, cart service, PostgreSQL) takes writes again. A refused probe
     * goes to the retries like any other batch.
     */
    boolean probe() throws InterruptedException {
        Integer visitor = pickVisitor();
        if (visitor == null) {
            return false;
        }
        Batch batch = newCartBatch(visitor);
        CompletableResult result = new CompletableResult();
        send(batch, result);
        return result.await();
    }

    Collection<ExpectedCart> carts() {
        return carts.values();
    }

    Collection<ExpectedTransaction> transactions() {
        return transactions.values();
    }

    List<Phase> phases() {
        return List.copyOf(phases);
    }

    List<String> unexpectedAnswers() {
        return List.copyOf(unexpected);
    }

    long batchesSent() {
        return batchesSent.get();
    }

    long attempts() {
        return attempts.get();
    }

    long acknowledgedCarts() {
        return carts.values().stream().filter(c -> c.acknowledged).count();
    }

    long acknowledgedTransactions() {
        return transactions.values().stream().filter(t -> t.acknowledged).count();
    }

    private void drive() {
        long interval = TimeUnit.SECONDS.toNanos(1) / batchesPerSecond;
        long next = System.nanoTime();
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Pending due = retries.poll();
                if (due != null) {
                    inFlight.acquire();
                    send(due.batch, null);
                    continue;
                }
                long now = System.nanoTime();
                if (producing && now >= next) {
                    // A saturated edge slows new batches down (as browsers waiting on their fetch
                    // would), instead of piling up an unbounded number of requests.
                    if (inFlight.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                        Batch batch = nextBatch();
                        if (batch == null) {
                            inFlight.release();
                            Thread.sleep(5);
                            continue;
                        }
                        send(batch, null);
                        next = Math.max(next + interval, System.nanoTime() - interval * 10);
                    }
                } else {
                    Thread.sleep(Math.max(1, Math.min(20, TimeUnit.NANOSECONDS.toMillis(next - now))));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A visitor whose identification is not acknowledged yet sends nothing else meanwhile: a cart
     * submitted while its visitor is being linked can miss the link (docs/chaos.md, "Findings"),
     * a race unrelated to faults that would blur what this suite measures.
     */
    private Integer pickVisitor() {
        synchronized (random) {
            for (int tries = 0; tries < 50; tries++) {
                int visitor = random.nextInt(visitors);
                if (!identifying.contains(visitor)) {
                    return visitor;
                }
            }
            return null;
        }
    }

    private Batch nextBatch() {
        synchronized (random) {
            Integer visitor = pickVisitor();
            if (visitor == null) {
                return null;
            }
            List<String> open = openCartsByVisitor.get(visitor);
            if (open != null && !open.isEmpty() && random.nextInt(10) == 0) {
                String cartId;
                synchronized (open) {
                    cartId = open.remove(random.nextInt(open.size()));
                }
                return newTransactionBatch(visitor, carts.get(cartId));
            }
            return newCartBatch(visitor);
        }
    }

    private Batch newCartBatch(int visitor) {
        synchronized (random) {
            String cartId = "K" + sequence.incrementAndGet();
            Map<String, Line> lines = new LinkedHashMap<>();
            int n = 1 + random.nextInt(3);
            List<Product> shuffled = new ArrayList<>(PRODUCTS);
            Collections.shuffle(shuffled, random);
            for (Product p : shuffled.subList(0, n)) {
                lines.put(p.id, new Line(p, 1 + random.nextInt(3)));
            }
            ExpectedCart cart = new ExpectedCart(cartId, visitor, lines);
            carts.put(cartId, cart);
            StringBuilder calls = new StringBuilder();
            calls.append("{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"").append(cartId).append("\",\"status\":\"SelectProducts\",\"TotalPrice\":\"")
                    .append(cart.total().toPlainString()).append("\"}}");
            for (Line line : lines.values()) {
                calls.append(",{\"fn\":\"AddCartItem\",\"args\":{\"idCart\":\"").append(cartId).append("\",\"idProduct\":\"").append(line.product.id)
                        .append("\",\"productName\":\"").append(line.product.name).append("\",\"category\":\"").append(line.product.category)
                        .append("\",\"priceunit\":\"").append(line.product.price.toPlainString()).append("\",\"quantity\":\"")
                        .append(line.quantity).append("\"}}");
            }
            List<String> submits = new ArrayList<>();
            boolean identifies = identified.putIfAbsent(visitor, Boolean.TRUE) == null;
            if (identifies) {
                identifying.add(visitor);
                submits.add("{\"id\":\"" + submitId() + "\",\"type\":\"identify\",\"time\":" + System.currentTimeMillis()
                        + ",\"args\":{\"email\":\"" + email(visitor) + "\",\"firstName\":\"Shopper" + visitor + "\"}}");
            }
            submits.add("{\"id\":\"" + submitId() + "\",\"type\":\"cart\",\"time\":" + System.currentTimeMillis() + ",\"calls\":[" + calls + "]}");
            return new Batch(visitor, identifies, body(visitor, submits), List.of(cart), List.of());
        }
    }

    private Batch newTransactionBatch(int visitor, ExpectedCart cart) {
        String transactionId = "T" + sequence.incrementAndGet();
        ExpectedTransaction tx = new ExpectedTransaction(transactionId, cart);
        transactions.put(transactionId, tx);
        StringBuilder calls = new StringBuilder();
        calls.append("{\"fn\":\"AddTransaction\",\"args\":{\"idTransaction\":\"").append(transactionId).append("\",\"idCart\":\"").append(cart.id)
                .append("\",\"revenue\":\"").append(cart.total().toPlainString()).append("\",\"tax\":\"0\",\"shipping\":\"4.90\"}}");
        for (Line line : cart.lines.values()) {
            calls.append(",{\"fn\":\"AddItem\",\"args\":{\"idTransaction\":\"").append(transactionId).append("\",\"productName\":\"")
                    .append(line.product.name).append("\",\"idProduct\":\"").append(line.product.id).append("\",\"Price_unit\":\"")
                    .append(line.product.price.toPlainString()).append("\",\"Price_total\":\"")
                    .append(line.product.price.multiply(BigDecimal.valueOf(line.quantity)).toPlainString()).append("\",\"quantity\":\"")
                    .append(line.quantity).append("\"}}");
        }
        String submit = "{\"id\":\"" + submitId() + "\",\"type\":\"transaction\",\"time\":" + System.currentTimeMillis()
                + ",\"calls\":[" + calls + "]}";
        return new Batch(visitor, false, body(visitor, List.of(submit)), List.of(), List.of(tx));
    }

    static String email(int visitor) {
        return "shopper" + visitor + "@chaos.example";
    }

    static String visitorId(int visitor) {
        return "v1.chaos-visitor-" + visitor;
    }

    private String submitId() {
        return "s1.chaos." + sequence.incrementAndGet() + "." + Long.toHexString(random.nextLong());
    }

    private static String body(int visitor, List<String> submits) {
        return "{\"v\":1,\"visitorId\":\"" + visitorId(visitor) + "\",\"page\":\"https://shop.chaos.example/cart\",\"submits\":["
                + String.join(",", submits) + "]}";
    }

    private void send(Batch batch, CompletableResult result) {
        if (batch.attempts == 0) {
            batchesSent.incrementAndGet();
            unacknowledged.put(batch.key, batch);
        }
        batch.attempts++;
        attempts.incrementAndGet();
        Phase counted = phase.get();
        long started = System.nanoTime();
        HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(batch.body)).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
            inFlightRelease(result);
            long tookMicros = (System.nanoTime() - started) / 1000;
            if (error != null) {
                counted.networkErrors.incrementAndGet();
                retryLater(batch, 0);
                complete(result, false);
                return;
            }
            int status = response.statusCode();
            if (status == 204) {
                counted.acknowledged.incrementAndGet();
                counted.latency(tookMicros);
                acknowledge(batch);
                complete(result, true);
            } else if (status == 429) {
                counted.refused.incrementAndGet();
                long after = response.headers().firstValueAsLong("Retry-After").orElse(1);
                retryLater(batch, TimeUnit.SECONDS.toMillis(after));
                complete(result, false);
            } else if (status >= 500) {
                counted.refused.incrementAndGet();
                retryLater(batch, 0);
                complete(result, false);
            } else {
                // 202 (a rejected submit), 400, 404, 413: the batches are valid, so any of these is a
                // finding; the tracker would forget the batch, and so does the generator.
                unexpected.add(status + " " + response.body() + " for " + batch.body);
                unacknowledged.remove(batch.key);
                complete(result, false);
            }
        });
    }

    private void inFlightRelease(CompletableResult result) {
        // A probe is sent outside the driver's budget.
        if (result == null) {
            inFlight.release();
        }
    }

    private static void complete(CompletableResult result, boolean acknowledged) {
        if (result != null) {
            result.complete(acknowledged);
        }
    }

    private void acknowledge(Batch batch) {
        if (unacknowledged.remove(batch.key) == null) {
            return;
        }
        for (ExpectedCart cart : batch.carts) {
            cart.acknowledged = true;
            openCartsByVisitor.computeIfAbsent(cart.visitor, v -> Collections.synchronizedList(new ArrayList<>())).add(cart.id);
        }
        for (ExpectedTransaction tx : batch.transactions) {
            tx.acknowledged = true;
        }
        if (batch.identifies) {
            identifying.remove(batch.visitor);
        }
    }

    /** The tracker's back-off (2^n s, n ≤ 6), scaled down tenfold so that a run stays short. */
    private void retryLater(Batch batch, long atLeastMillis) {
        long backoff = Math.min(6400, 200L << Math.min(5, batch.attempts - 1));
        retries.add(new Pending(batch, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(backoff, atLeastMillis))));
    }

    record Product(String id, String name, String category, BigDecimal price) {
    }

    record Line(Product product, int quantity) {
    }

    /** A cart as the generator sent it; {@code acknowledged} once its batch got a 204. */
    static final class ExpectedCart {
        final String id;
        final int visitor;
        final Map<String, Line> lines;
        volatile boolean acknowledged;

        ExpectedCart(String id, int visitor, Map<String, Line> lines) {
            this.id = id;
            this.visitor = visitor;
            this.lines = lines;
        }

        BigDecimal total() {
            return lines.values().stream().map(l -> l.product.price.multiply(BigDecimal.valueOf(l.quantity)))
                    .reduce(BigDecimal.ZERO, BigDecimal::add);
        }
    }

    /** A purchase of one acknowledged cart. */
    static final class ExpectedTransaction {
        final String id;
        final ExpectedCart cart;
        volatile boolean acknowledged;

        ExpectedTransaction(String id, ExpectedCart cart) {
            this.id = id;
            this.cart = cart;
        }
    }

    private static final class Batch {
        final String key = java.util.UUID.randomUUID().toString();
        final int visitor;
        final boolean identifies;
        final String body;
        final List<ExpectedCart> carts;
        final List<ExpectedTransaction> transactions;
        int attempts;

        Batch(int visitor, boolean identifies, String body, List<ExpectedCart> carts, List<ExpectedTransaction> transactions) {
            this.visitor = visitor;
            this.identifies = identifies;
            this.body = body;
            this.carts = carts;
            this.transactions = transactions;
        }
    }

    private static final class Pending implements Delayed {
        final Batch batch;
        final long due;

        Pending(Batch batch, long due) {
            this.batch = batch;
            this.due = due;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(due - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(due, ((Pending) other).due);
        }
    }

    private static final class CompletableResult {
        private final java.util.concurrent.CompletableFuture<Boolean> future = new java.util.concurrent.CompletableFuture<>();

        void complete(boolean acknowledged) {
            future.complete(acknowledged);
        }

        boolean await() throws InterruptedException {
            try {
                return future.get(40, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                return false;
            }
        }
    }

    /** What the edge answered while one fault (or the calm between faults) lasted. */
    static final class Phase {
        final String name;
        final AtomicLong acknowledged = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong networkErrors = new AtomicLong();
        private final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());

        Phase(String name) {
            this.name = name;
        }

        void latency(long micros) {
            latencies.add(micros);
        }

        /** The given percentile of acknowledged batches' latency, in milliseconds (0 without any). */
        double percentileMillis(double p) {
            List<Long> sorted;
            synchronized (latencies) {
                sorted = new ArrayList<>(latencies);
            }
            if (sorted.isEmpty()) {
                return 0;
            }
            Collections.sort(sorted);
            int index = (int) Math.min(sorted.size() - 1, Math.ceil(p / 100.0 * sorted.size()) - 1);
            return sorted.get(Math.max(0, index)) / 1000.0;
        }
    }
}
