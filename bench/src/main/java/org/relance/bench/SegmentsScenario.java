package org.relance.bench;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.segment.v1.CountContactsRequest;
import org.relance.api.segment.v1.MatchContactRequest;
import org.relance.api.segment.v1.SegmentServiceGrpc;
import org.relance.api.segment.v1.StreamContactsRequest;
import org.relance.api.segment.v1.StreamContactsResponse;
import org.relance.kit.grpc.BearerToken;

/**
 * Segment questions of the segment service over gRPC on 1,000,000 synthetic contacts (count,
 * stream of ids, match), each against the same question as plain SQL over the cart and
 * transaction tables holding the same data, in the same run; and event → membership latency
 * through the real cart service, its sweeper and the fact consumers. Every answer of the service
 * must equal the plain SQL's; a difference fails the scenario (after the report is written).
 */
final class SegmentsScenario {
    private static final String PROBE_STORE = "shop-fr";

    /** grpc.health.v1.Health/Check with raw bytes (the empty request asks about the whole server); no stubs needed. */
    private static final io.grpc.MethodDescriptor<byte[], byte[]> HEALTH_CHECK;

    static {
        io.grpc.MethodDescriptor.Marshaller<byte[]> bytes = new io.grpc.MethodDescriptor.Marshaller<>() {
            @Override
            public java.io.InputStream stream(byte[] value) {
                return new java.io.ByteArrayInputStream(value);
            }

            @Override
            public byte[] parse(java.io.InputStream stream) {
                try {
                    return stream.readAllBytes();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        HEALTH_CHECK = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder().setType(io.grpc.MethodDescriptor.MethodType.UNARY)
                .setFullMethodName("grpc.health.v1.Health/Check").setRequestMarshaller(bytes).setResponseMarshaller(bytes).build();
    }

    private final Path work;
    private final Path root = Bench.root();
    private final int contacts = Bench.intProp("bench.segments.contacts", 1_000_000);
    private final int reps = Bench.intProp("bench.segments.reps", 5);
    private final int budgetSeconds = Bench.intProp("bench.segments.budget", 6);
    private final int matchCalls = Bench.intProp("bench.segments.match", 1000);
    private final int latencySamples = Bench.intProp("bench.segments.latency.samples", 300);
    private final double latencyRate = Bench.doubleProp("bench.segments.latency.rate", 10);
    private final int pollMillis = Bench.intProp("bench.segments.latency.poll", 5);
    private final List<String> mismatches = new ArrayList<>();

    SegmentsScenario(Path work) {
        this.work = work;
    }

    /** Repeated timings of one call, in ms, and the answer (every repetition must give the same). */
    private record Timing(double[] millis, long value) {
        double median() {
            return percentile(millis, 50);
        }

        double p99() {
            return percentile(millis, 99);
        }
    }

    Report run() {
        Report report = new Report("segments");
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant since = t0.minus(30, ChronoUnit.DAYS);
        try (Postgres pg = Postgres.start(work)) {
            System.out.println("bench: " + pg.version() + " on port " + pg.port() + " (data in " + work + ")");
            pg.createDatabase("relance_cart");
            pg.createDatabase("relance_transaction");
            pg.createDatabase(SegmentData.SEGMENT_DB);
            try (CartService cart = CartService.external(root, work.resolve("cart-service.log"), pg.serviceUrl("relance_cart"),
                    Map.of("RELANCE_CART_SWEEP_INTERVAL", "1s", "RELANCE_CART_PURGE_INTERVAL", "off"))) {
                cart.awaitReady(Duration.ofSeconds(90));
                createStores(cart);
                try (TransactionService tx = TransactionService.start(root, work.resolve("transaction-service.log"),
                        pg.serviceUrl("relance_transaction"), cart.port())) {
                    tx.awaitReady(Duration.ofSeconds(90));
                    // Started on the empty database, so that it migrates it; the facts are written into that schema next.
                    try (SegmentProcess segment = SegmentProcess.start(root, work.resolve("segment-service.log"),
                            pg.serviceUrl(SegmentData.SEGMENT_DB), cart.port(), tx.port())) {
                        long ready = segment.awaitReady(Duration.ofSeconds(90));
                        System.out.printf("bench: segment service ready in %.2f s (pid %d, port %d)%n", ready / 1e9, segment.pid(),
                                segment.port());
                        System.out.printf("bench: generating %,d contacts with their carts and purchases%n", contacts);
                        Map<String, String> data = SegmentData.generate(pg, root, contacts, t0);
                        data.values().forEach(v -> System.out.println("bench: " + v));
                        ManagedChannel channel = segment.channel();
                        ManagedChannel cartChannel = cart.channel();
                        try (Connection sql = pg.connect(SegmentData.BASELINE_DB)) {
                            measure(report, pg, segment, channel, cartChannel, sql, since, data);
                        } catch (SQLException e) {
                            throw new IllegalStateException(e.getMessage(), e);
                        } finally {
                            TransactionService.shutdown(channel);
                            TransactionService.shutdown(cartChannel);
                        }
                    }
                }
            }
        }
        if (!mismatches.isEmpty()) {
            mismatches.forEach(m -> report.note("MISMATCH: " + m));
            report.publish(Bench.resultsDir());
            throw new IllegalStateException(mismatches.size() + " answers of the segment service differ from plain SQL on the same data");
        }
        return report;
    }

    private void measure(Report report, Postgres pg, SegmentProcess segment, ManagedChannel channel, ManagedChannel cartChannel,
                         Connection sql, Instant since, Map<String, String> data) throws SQLException {
        SegmentServiceGrpc.SegmentServiceBlockingStub stub = SegmentServiceGrpc.newBlockingStub(channel)
                .withCallCredentials(new BearerToken(CartService.TOKEN));
        List<SegmentQuestions.Q> questions = new ArrayList<>(SegmentQuestions.singles(since));
        SegmentQuestions.Q tree = SegmentQuestions.tree(since);
        questions.add(tree);

        // Warm-up: every question once on each side (JIT of both JVMs, plans, the pages of both databases in memory).
        CpuMonitor.awaitQuiet("the warm-up");
        long warm = System.nanoTime();
        for (SegmentQuestions.Q q : questions) {
            serviceCount(stub, q);
            baselineCount(sql, q);
        }
        System.out.printf("bench: warm-up (every question once on each side) %.1f s%n", (System.nanoTime() - warm) / 1e9);

        pg.execute("postgres", "SELECT pg_stat_statements_reset()");
        Map<SegmentQuestions.Q, Timing[]> counts = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        String countCpu;
        CpuMonitor.awaitQuiet("the counts");
        try (CpuMonitor cpu = new CpuMonitor(groups(pg, segment))) {
            for (SegmentQuestions.Q q : questions) {
                // Keep time for the stream, match and latency parts.
                if (Bench.secondsLeft() < 120) {
                    skipped.add("count: " + q.label());
                    continue;
                }
                Timing[] t = timeBoth(() -> serviceCount(stub, q), () -> baselineCount(sql, q));
                counts.put(q, t);
                System.out.printf("bench: count %-90s %,9d  ours %8.2f ms (p99 %8.2f)  plain SQL %8.2f ms (p99 %8.2f)%n",
                        q.label(), t[0].value(), t[0].median(), t[0].p99(), t[1].median(), t[1].p99());
                if (t[0].value() != t[1].value()) {
                    mismatches.add(String.format("count of \"%s\": service %,d, plain SQL %,d", q.label(), t[0].value(), t[1].value()));
                }
            }
            cpu.close();
            countCpu = cpu.describe();
        }
        List<String> countStatements = SubmitsScenario.statementStats(pg, SegmentData.SEGMENT_DB);

        // Streaming every id of a large segment.
        SegmentQuestions.Q large = SegmentQuestions.hasAbandoned(null);
        List<String[]> streamRows = new ArrayList<>();
        if (Bench.secondsLeft() > 100) {
            CpuMonitor.awaitQuiet("the streams");
            long[] base = null;
            double baseSeconds = Double.MAX_VALUE;
            for (int i = 0; i < 2; i++) {
                long s = System.nanoTime();
                long[] r = baselineIds(sql, large);
                baseSeconds = Math.min(baseSeconds, (System.nanoTime() - s) / 1e9);
                base = r;
            }
            for (int batch : new int[] {10_000, 1_000}) {
                double best = Double.MAX_VALUE;
                long[] ours = null;
                for (int i = 0; i < (batch == 10_000 ? 2 : 1); i++) {
                    long s = System.nanoTime();
                    ours = serviceIds(stub, large, batch);
                    best = Math.min(best, (System.nanoTime() - s) / 1e9);
                }
                if (ours[0] != base[0] || ours[1] != base[1]) {
                    mismatches.add(String.format("stream of \"%s\" (batch %,d): %,d ids from the service, %,d from plain SQL%s",
                            large.label(), batch, ours[0], base[0], ours[0] == base[0] ? " (same number, different ids)" : ""));
                }
                System.out.printf("bench: stream %s, batches of %,d: %,d ids in %.2f s; plain SQL %.2f s%n", large.label(), batch,
                        ours[0], best, baseSeconds);
                streamRows.add(new String[] {String.format("stream all ids: %s (%,d ids), batches of %,d", large.label(), ours[0], batch),
                        String.format("%.2f s (%,.0f ids/s)", best, ours[0] / best),
                        String.format("%.2f s (%,.0f ids/s; JDBC cursor, fetch 10,000)", baseSeconds, base[0] / baseSeconds),
                        Report.ratio(best / baseSeconds)});
            }
        } else {
            skipped.add("the streams");
        }

        // Match: one contact at a time, against the same question for that contact in plain SQL.
        Map<SegmentQuestions.Q, double[][]> matches = new LinkedHashMap<>();
        List<SegmentQuestions.Q> matchQuestions = List.of(SegmentQuestions.value(
                org.relance.api.segment.v1.NumberOperator.NUMBER_OPERATOR_GREATER, ">", new java.math.BigDecimal("100"), "EUR"), tree);
        List<String> sample = SegmentData.sampleContacts(pg, matchCalls + 100, 0.17);
        int[] matched = new int[matchQuestions.size()];
        CpuMonitor matchCpu = new CpuMonitor(groups(pg, segment));
        for (int qi = 0; qi < matchQuestions.size(); qi++) {
            SegmentQuestions.Q q = matchQuestions.get(qi);
            if (Bench.secondsLeft() < 60) {
                skipped.add("match: " + q.label());
                continue;
            }
            CpuMonitor.awaitQuiet("the matches");
            MatchTimes timed = SegmentsScenario.timeMatches(stub, sql, SegmentQuestions.matchSql(q), q.proto(), q.label(), sample, mismatches);
            double[] ours = timed.ours();
            double[] base = timed.base();
            matched[qi] += timed.matched();
            matches.put(q, new double[][] {ours, base});
            System.out.printf("bench: match %s: p50 %.2f ms p99 %.2f ms; plain SQL p50 %.2f ms p99 %.2f ms%n", q.label(),
                    percentile(ours, 50), percentile(ours, 99), percentile(base, 50), percentile(base, 99));
        }
        matchCpu.close();
        // The floor of any call to this service from here: a bare gRPC call (the health check) on the same channel.
        double[] bare = new double[matchCalls];
        for (int i = 0; i < matchCalls + 100; i++) {
            long a = System.nanoTime();
            io.grpc.stub.ClientCalls.blockingUnaryCall(channel, HEALTH_CHECK,
                    io.grpc.CallOptions.DEFAULT.withCallCredentials(new BearerToken(CartService.TOKEN)).withDeadlineAfter(10, TimeUnit.SECONDS),
                    new byte[0]);
            if (i >= 100) {
                bare[i - 100] = (System.nanoTime() - a) / 1e6;
            }
        }
        List<String> allStatements = SubmitsScenario.statementStats(pg, SegmentData.SEGMENT_DB);

        // Event → membership.
        SegmentLatency.Result latency = null;
        String latencyCpu = "-";
        long latencyBudget = Math.min(120, Bench.secondsLeft() - 25);
        if (latencyBudget >= 30) {
            List<String> probes = SegmentData.sampleContacts(pg, latencySamples, 0.61);
            CpuMonitor.awaitQuiet("the latency probes");
            System.out.printf("bench: event → membership: %d carts at %.0f/s in store %s (abandonment delay 5 s, sweep every 1 s)%n",
                    probes.size(), latencyRate, PROBE_STORE);
            try (CpuMonitor cpu = new CpuMonitor(groups(pg, segment))) {
                latency = new SegmentLatency(cartChannel, channel, PROBE_STORE)
                        .run(probes, latencyRate, pollMillis, 10_000, Duration.ofSeconds(latencyBudget));
                cpu.close();
                latencyCpu = cpu.describe();
            }
        } else {
            skipped.add("event → membership");
        }

        // The table.
        for (Map.Entry<SegmentQuestions.Q, Timing[]> e : counts.entrySet()) {
            SegmentQuestions.Q q = e.getKey();
            Timing ours = e.getValue()[0];
            Timing base = e.getValue()[1];
            boolean isTree = q == tree;
            double goal = isTree ? 1000 : 100;
            report.row(String.format("count: %s → %,d", q.label(), ours.value()),
                    String.format("%s (p99 %s)", Report.ms(ours.median()), Report.ms(ours.p99())),
                    String.format("%s (p99 %s)", Report.ms(base.median()), Report.ms(base.p99())),
                    Report.ratio(ours.median() / base.median()), isTree ? "< 1 s" : "< 100 ms", ours.median() < goal);
        }
        for (String[] r : streamRows) {
            report.row(r[0], r[1], r[2], r[3], "-", null);
        }
        int qi = 0;
        for (Map.Entry<SegmentQuestions.Q, double[][]> e : matches.entrySet()) {
            double[] ours = e.getValue()[0];
            double[] base = e.getValue()[1];
            report.row(String.format("match p50 / p99: %s (%,d contacts, %,d matched)", e.getKey().label(), ours.length,
                            matched[qi++]),
                    Report.ms(percentile(ours, 50)) + " / " + Report.ms(percentile(ours, 99)),
                    Report.ms(percentile(base, 50)) + " / " + Report.ms(percentile(base, 99)),
                    Report.ratio(percentile(ours, 50) / percentile(base, 50)) + " / " + Report.ratio(percentile(ours, 99) / percentile(base, 99)),
                    "p99 < 5 ms", percentile(ours, 99) < 5);
        }
        if (!matches.isEmpty()) {
            report.note(String.format("Match: one call at a time, each followed by the same question for that contact in plain SQL "
                            + "(JDBC prepared statement); the first 100 contacts warm both up. A bare gRPC call to the same service "
                            + "(grpc.health.v1.Health/Check, same channel and token) takes p50 %s, p99 %s: the floor of any call here.",
                    Report.ms(percentile(bare, 50)), Report.ms(percentile(bare, 99))));
        }
        if (latency != null && !latency.samples().isEmpty()) {
            double[] member = latency.samples().stream().mapToDouble(SegmentLatency.Sample::membershipMillis).toArray();
            double[] delivery = latency.samples().stream().mapToDouble(SegmentLatency.Sample::deliveryMillis).toArray();
            report.row(String.format("event → membership p50 / p99 (%d carts, %d not seen within 10 s)", member.length, latency.timedOut()),
                    Report.ms(percentile(member, 50)) + " / " + Report.ms(percentile(member, 99)),
                    Report.ms(percentile(delivery, 50)) + " / " + Report.ms(percentile(delivery, 99)) + " (ABANDONED event at a bare WatchCartEvents client)",
                    Report.ratio(percentile(member, 50) / percentile(delivery, 50)) + " / " + Report.ratio(percentile(member, 99) / percentile(delivery, 99)),
                    "p99 < 1 s", latency.timedOut() == 0 && percentile(member, 99) < 1000);
            report.note(String.format("Event → membership: from the cart's abandon_time (the sweeper's clock, in the ABANDONED event) to "
                            + "the arrival of the first MatchContact answer true for \"product name in the last abandoned cart is <the cart's "
                            + "own product>\" (the contact's other carts are older), polled every %d ms per contact from when the bench "
                            + "saw the event; max %s, mean polls per sample %.1f; %d submitted, %d timed out, %d failed%s.",
                    pollMillis, Report.ms(Arrays.stream(member).max().orElse(0)),
                    latency.samples().stream().mapToInt(SegmentLatency.Sample::polls).average().orElse(0),
                    latency.submitted(), latency.timedOut(), latency.failed(),
                    latency.firstError() == null ? "" : " (first error: " + latency.firstError() + ")"));
        } else if (latency != null) {
            report.row("event → membership", "no sample (" + latency.submitted() + " submitted, " + latency.timedOut() + " timed out"
                    + (latency.firstError() == null ? "" : ", " + latency.firstError()) + ")", "-", "-", "p99 < 1 s", false);
        }

        report.note("Data: " + data.get("baseline") + ". Segment service: " + data.get("segment") + ". " + data.get("generation") + ".");
        report.note("Counts: median and p99 (nearest rank, so the slowest) of up to " + reps + " repetitions (at least 3, up to "
                + budgetSeconds + " s per question), the service and plain SQL alternating, after one warm-up call of every question "
                + "on each side; the goal is judged on the median. Ours: CountContacts over gRPC (one channel, store scope empty). "
                + "Plain SQL: JDBC on the baseline database, the contact list joined with each contact's last abandoned cart "
                + "(DISTINCT ON) and EXISTS over cart.cart / tx.shop_transaction.");
        report.note("5-condition tree: " + SegmentQuestions.treeSpelledOut(since).label() + ".");
        report.note("CPU (cores) during the counts: " + countCpu + "; during the matches: " + matchCpu.describe()
                + "; during the latency probes (segment service and PostgreSQL; the cart and transaction services count as other "
                + "processes): " + latencyCpu + ".");
        report.note("Statements of the segment database during the counts (pg_stat_statements, calls, rows, mean ms):");
        countStatements.stream().limit(16).forEach(s -> report.note("  " + s));
        report.note("Statements of the segment database after the streams and matches (calls, rows, mean ms):");
        allStatements.stream().limit(8).forEach(s -> report.note("  " + s));
        if (!skipped.isEmpty()) {
            report.note("Skipped for lack of time (bench.deadline): " + String.join("; ", skipped) + ".");
        }
    }

    private Timing[] timeBoth(Supplier<Long> ours, Supplier<Long> base) {
        List<Double> a = new ArrayList<>();
        List<Double> b = new ArrayList<>();
        long va = -1;
        long vb = -1;
        long start = System.nanoTime();
        while (a.size() < reps && (a.size() < 3 || System.nanoTime() - start < TimeUnit.SECONDS.toNanos(budgetSeconds))) {
            long s = System.nanoTime();
            long x = ours.get();
            long m = System.nanoTime();
            long y = base.get();
            long e = System.nanoTime();
            if (va >= 0 && x != va) {
                mismatches.add("the service counted " + va + " then " + x + " for the same question");
            }
            va = x;
            vb = y;
            a.add((m - s) / 1e6);
            b.add((e - m) / 1e6);
        }
        return new Timing[] {new Timing(a.stream().mapToDouble(Double::doubleValue).toArray(), va),
                new Timing(b.stream().mapToDouble(Double::doubleValue).toArray(), vb)};
    }

    private static long serviceCount(SegmentServiceGrpc.SegmentServiceBlockingStub stub, SegmentQuestions.Q q) {
        return stub.withDeadlineAfter(120, TimeUnit.SECONDS)
                .countContacts(CountContactsRequest.newBuilder().setCondition(q.proto()).build()).getCount();
    }

    private static long baselineCount(Connection sql, SegmentQuestions.Q q) {
        try (Statement s = sql.createStatement(); ResultSet rs = s.executeQuery(SegmentQuestions.countSql(q))) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(q.label() + ": " + e.getMessage(), e);
        }
    }

    /** {number of ids, order-sensitive hash}: two equal lists give equal pairs. Ids must come in increasing order. */
    private static long[] serviceIds(SegmentServiceGrpc.SegmentServiceBlockingStub stub, SegmentQuestions.Q q, int batch) {
        Iterator<StreamContactsResponse> it = stub.withDeadlineAfter(120, TimeUnit.SECONDS)
                .streamContacts(StreamContactsRequest.newBuilder().setCondition(q.proto()).setBatchSize(batch).build());
        long n = 0;
        long hash = 0;
        String previous = "";
        while (it.hasNext()) {
            for (String id : it.next().getContactIdsList()) {
                if (id.compareTo(previous) <= 0) {
                    throw new IllegalStateException("StreamContacts sent " + id + " after " + previous);
                }
                previous = id;
                n++;
                hash = hash * 31 + id.hashCode();
            }
        }
        return new long[] {n, hash};
    }

    private static long[] baselineIds(Connection sql, SegmentQuestions.Q q) {
        try {
            sql.setAutoCommit(false);
            try (Statement s = sql.createStatement()) {
                s.setFetchSize(10_000);
                long n = 0;
                long hash = 0;
                try (ResultSet rs = s.executeQuery(SegmentQuestions.idsSql(q))) {
                    while (rs.next()) {
                        n++;
                        hash = hash * 31 + rs.getString(1).hashCode();
                    }
                }
                return new long[] {n, hash};
            } finally {
                sql.commit();
                sql.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** The three stores of the generated data, in the cart service (the segment service checks that named stores exist). */
    private static void createStores(CartService cart) {
        ManagedChannel channel = cart.channel();
        try {
            var stub = StoreServiceGrpc.newBlockingStub(channel).withCallCredentials(new BearerToken(CartService.TOKEN));
            for (String id : SegmentData.STORES) {
                // The minimum abandonment delay (5 s), so that the latency probes are abandoned soon after they are submitted.
                stub.withDeadlineAfter(30, TimeUnit.SECONDS).createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder()
                        .setStoreId(id).setDisplayName(id).setCurrencyCode(id.equals("shop-uk") ? "GBP" : "EUR")
                        .setTimeZone("Europe/Paris").setAbandonmentDelay(com.google.protobuf.Duration.newBuilder().setSeconds(5))).build());
            }
        } finally {
            TransactionService.shutdown(channel);
        }
    }

    private static Map<String, Supplier<List<Long>>> groups(Postgres pg, SegmentProcess segment) {
        Map<String, Supplier<List<Long>>> g = new LinkedHashMap<>();
        g.put("postgres", () -> Procs.tree(pg.pid()));
        g.put("segment service", () -> List.of(segment.pid()));
        g.put("bench", () -> List.of(ProcessHandle.current().pid()));
        return g;
    }

    /** Nearest-rank percentile (with a few repetitions, p99 is the slowest). */
    /** Match times of the service and of the plain SQL, and how many matched (the first 100 calls warm up). */
    record MatchTimes(double[] ours, double[] base, int matched) {
    }

    /**
     * Asks the service and the plain SQL ({@code matchSql}, one parameter: the contact) whether each
     * contact of {@code sample} matches, alternately; a disagreement goes to {@code mismatches}.
     */
    static MatchTimes timeMatches(SegmentServiceGrpc.SegmentServiceBlockingStub stub, java.sql.Connection sql, String matchSql,
                                  org.relance.api.segment.v1.SegmentCondition condition, String label, List<String> sample,
                                  List<String> mismatches) throws java.sql.SQLException {
        int calls = Math.max(0, sample.size() - 100);
        double[] ours = new double[calls];
        double[] base = new double[calls];
        int matched = 0;
        try (PreparedStatement ps = sql.prepareStatement(matchSql)) {
            for (int i = 0; i < sample.size(); i++) {
                String id = sample.get(i);
                long a = System.nanoTime();
                boolean m = stub.withDeadlineAfter(10, TimeUnit.SECONDS).matchContact(MatchContactRequest.newBuilder()
                        .setContactId(id).setCondition(condition).build()).getMatches();
                long b = System.nanoTime();
                ps.setString(1, id);
                boolean expected;
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    expected = rs.getBoolean(1);
                }
                long c = System.nanoTime();
                // The first 100 warm up both sides (and the prepared statement's generic plan).
                if (i >= 100) {
                    ours[i - 100] = (b - a) / 1e6;
                    base[i - 100] = (c - b) / 1e6;
                    matched += m ? 1 : 0;
                }
                if (m != expected) {
                    mismatches.add(String.format("match of %s for \"%s\": service %s, plain SQL %s", id, label, m, expected));
                }
            }
        }
        return new MatchTimes(ours, base, matched);
    }

    static double percentile(double[] values, double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
