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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.segment.v1.Contact;
import org.relance.api.segment.v1.CountContactsRequest;
import org.relance.api.segment.v1.ListContactsRequest;
import org.relance.api.segment.v1.ListContactsResponse;
import org.relance.api.segment.v1.MatchContactRequest;
import org.relance.api.segment.v1.SegmentServiceGrpc;
import org.relance.api.segment.v1.StreamContactsRequest;
import org.relance.api.segment.v1.StreamContactsResponse;
import org.relance.kit.grpc.BearerToken;

/**
 * Visited-URL segment questions of the segment service over gRPC on 10,000,000 page views of
 * 500,000 contacts (issue 10): counts, the full list of one segment (StreamContacts and
 * ListContacts, pages of 1,000), MatchContact; each against, in the same run and on the same
 * PostgreSQL, the plain SQL over the same daily counts and the plain SQL over the raw views
 * (what one would do without the facts). The service only reads (relance.segment.consume=false);
 * the cart service runs because the service checks that a store named in a question exists.
 * Every answer of the service must equal the plain SQL's; a difference fails the scenario
 * (after the report is written).
 */
final class PageViewSegmentsScenario {
    private final Path work;
    private final Path root = Bench.root();
    private final int contacts = Bench.intProp("bench.pvseg.contacts", 500_000);
    private final long views = Long.parseLong(System.getProperty("bench.pvseg.views", "10000000").trim());
    private final int reps = Math.max(1, Bench.intProp("bench.pvseg.reps", 3));
    private final int matchCalls = Bench.intProp("bench.pvseg.match", 1000);
    private final List<String> mismatches = new ArrayList<>();

    PageViewSegmentsScenario(Path work) {
        this.work = work;
    }

    /** Timings of one question on the three sides, ms; the answers. */
    private record Timing(double[] ours, double[] facts, double[] raw, long value, long factsValue, long rawValue) {
    }

    Report run() {
        Report report = new Report("pageviews-segments");
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        try (Postgres pg = Postgres.start(work)) {
            System.out.println("bench: " + pg.version() + " on port " + pg.port() + " (data in " + work + ")");
            pg.createDatabase("relance_cart");
            pg.createDatabase(PageViewData.DB);
            try (CartService cart = CartService.external(root, work.resolve("cart-service.log"), pg.serviceUrl("relance_cart"),
                    Map.of("RELANCE_CART_PURGE_INTERVAL", "off"))) {
                cart.awaitReady(Duration.ofSeconds(90));
                createStores(cart);
                Map<String, String> env = new LinkedHashMap<>();
                env.put("RELANCE_DB_URL", pg.serviceUrl(PageViewData.DB));
                env.put("RELANCE_DB_USERNAME", "postgres");
                env.put("RELANCE_DB_PASSWORD", "");
                env.put("RELANCE_CART_HOST", "localhost");
                env.put("RELANCE_CART_PORT", Integer.toString(cart.port()));
                // No transaction service: nothing is consumed, and no store check goes there.
                env.put("RELANCE_TRANSACTION_HOST", "localhost");
                env.put("RELANCE_TRANSACTION_PORT", Integer.toString(Procs.freePort()));
                env.put("RELANCE_SEGMENT_CONSUME", "false");
                env.put("RELANCE_NOTIFICATIONS_ENABLED", "false");
                // Started on the empty database, so that it migrates it; the views are written into that schema next.
                try (JarProcess segment = JarProcess.start(root, "segment-service", "bench.segment.jar", work.resolve("segment-service.log"), env)) {
                    long ready = segment.awaitReady(Duration.ofSeconds(90));
                    System.out.printf("bench: segment service ready in %.2f s (pid %d, port %d)%n", ready / 1e9, segment.pid(), segment.port());
                    System.out.printf("bench: generating %,d page views of %,d contacts%n", views, contacts);
                    Map<String, String> data = PageViewData.generate(pg, contacts, views, t0);
                    data.forEach((k, v) -> System.out.println("bench: " + k + ": " + v));
                    if (!"true".equals(data.get("check"))) {
                        mismatches.add("the daily counts do not sum to the raw views");
                    }
                    ManagedChannel channel = segment.channel();
                    try (Connection sql = pg.connect(PageViewData.DB)) {
                        measure(report, pg, segment, channel, sql, t0, data);
                    } catch (SQLException e) {
                        throw new IllegalStateException(e.getMessage(), e);
                    } finally {
                        TransactionService.shutdown(channel);
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

    private void measure(Report report, Postgres pg, JarProcess segment, ManagedChannel channel, Connection sql, Instant t0,
                         Map<String, String> data) throws SQLException {
        SegmentServiceGrpc.SegmentServiceBlockingStub stub = SegmentServiceGrpc.newBlockingStub(channel)
                .withCallCredentials(new BearerToken(CartService.TOKEN));
        List<PageViewQuestions.Q> questions = PageViewQuestions.counts(t0);
        List<String> skipped = new ArrayList<>();

        // Warm-up: every question once on each side (JIT, plans, the pages of the tables in memory).
        CpuMonitor.awaitQuiet("the warm-up");
        long warm = System.nanoTime();
        for (PageViewQuestions.Q q : questions) {
            serviceCount(stub, q);
            sqlCount(sql, q.factsCount(), q);
            sqlCount(sql, q.rawCount(), q);
        }
        System.out.printf("bench: warm-up (every question once on each side) %.1f s%n", (System.nanoTime() - warm) / 1e9);

        pg.execute("postgres", "SELECT pg_stat_statements_reset()");
        Map<PageViewQuestions.Q, Timing> counts = new LinkedHashMap<>();
        String countCpu;
        CpuMonitor.awaitQuiet("the counts");
        try (CpuMonitor cpu = new CpuMonitor(groups(pg, segment))) {
            for (PageViewQuestions.Q q : questions) {
                if (Bench.secondsLeft() < 150) {
                    skipped.add("count: " + q.label());
                    continue;
                }
                Timing t = timeAll(() -> serviceCount(stub, q), () -> sqlCount(sql, q.factsCount(), q), () -> sqlCount(sql, q.rawCount(), q));
                counts.put(q, t);
                System.out.printf("bench: count %-100s %,9d  ours %8.1f ms  same tables %8.1f ms  raw views %8.1f ms%n", q.label(),
                        t.value(), median(t.ours()), median(t.facts()), median(t.raw()));
                if (t.value() != t.factsValue() || t.value() != t.rawValue()) {
                    mismatches.add(String.format("count of \"%s\": service %,d, plain SQL on the daily counts %,d, on the raw views %,d",
                            q.label(), t.value(), t.factsValue(), t.rawValue()));
                }
            }
            cpu.close();
            countCpu = cpu.describe();
        }
        List<String> countStatements = SubmitsScenario.statementStats(pg, PageViewData.DB);

        // The whole of question 2, in pages of 1,000.
        PageViewQuestions.Q listed = questions.get(1);
        List<String[]> streamRows = new ArrayList<>();
        if (Bench.secondsLeft() > 100) {
            CpuMonitor.awaitQuiet("the streams");
            long s = System.nanoTime();
            long[] facts = sqlIds(sql, listed.factsIds());
            double factsSeconds = (System.nanoTime() - s) / 1e9;
            s = System.nanoTime();
            long[] raw = sqlIds(sql, listed.rawIds());
            double rawSeconds = (System.nanoTime() - s) / 1e9;
            if (raw[0] != facts[0] || raw[1] != facts[1]) {
                mismatches.add(String.format("ids of \"%s\": %,d from the daily counts, %,d from the raw views", listed.label(), facts[0], raw[0]));
            }
            String baseline = String.format("%.2f s on the same tables / %.2f s on the raw views (JDBC cursor, fetch 10,000)",
                    factsSeconds, rawSeconds);
            s = System.nanoTime();
            long[] streamed = streamIds(stub, listed, 1000);
            double streamSeconds = (System.nanoTime() - s) / 1e9;
            check("StreamContacts", listed, streamed, facts);
            streamRows.add(new String[] {String.format("StreamContacts, batches of 1,000: %s (%,d ids)", listed.label(), streamed[0]),
                    String.format("%.2f s (%,.0f ids/s)", streamSeconds, streamed[0] / streamSeconds), baseline,
                    Report.ratio(streamSeconds / factsSeconds) + " / " + Report.ratio(streamSeconds / rawSeconds)});
            System.out.printf("bench: stream %s: %,d ids in %.2f s; plain SQL %.2f s (same tables), %.2f s (raw views)%n", listed.label(),
                    streamed[0], streamSeconds, factsSeconds, rawSeconds);
            if (Bench.secondsLeft() > 90) {
                s = System.nanoTime();
                long[] pages = new long[1];
                long[] listedIds = listIds(stub, listed, 1000, pages);
                double listSeconds = (System.nanoTime() - s) / 1e9;
                check("ListContacts", listed, listedIds, facts);
                streamRows.add(new String[] {String.format("ListContacts, pages of 1,000: %s (%,d contacts, %,d calls)", listed.label(),
                        listedIds[0], pages[0]),
                        String.format("%.2f s (%,.0f contacts/s)", listSeconds, listedIds[0] / listSeconds), baseline,
                        Report.ratio(listSeconds / factsSeconds) + " / " + Report.ratio(listSeconds / rawSeconds)});
                System.out.printf("bench: list %s: %,d contacts in %,d pages, %.2f s%n", listed.label(), listedIds[0], pages[0], listSeconds);
            } else {
                skipped.add("ListContacts");
            }
        } else {
            skipped.add("the streams");
        }

        // Match: one contact at a time, against the same question for that contact in plain SQL on the same tables.
        List<PageViewQuestions.Q> matchQuestions = List.of(listed, questions.get(5));
        Map<PageViewQuestions.Q, double[][]> matches = new LinkedHashMap<>();
        int[] matched = new int[matchQuestions.size()];
        List<String> sample = PageViewData.sampleContacts(pg, matchCalls + 100, 0.17);
        for (int qi = 0; qi < matchQuestions.size(); qi++) {
            PageViewQuestions.Q q = matchQuestions.get(qi);
            if (Bench.secondsLeft() < 40) {
                skipped.add("match: " + q.label());
                continue;
            }
            CpuMonitor.awaitQuiet("the matches");
            SegmentsScenario.MatchTimes timed = SegmentsScenario.timeMatches(stub, sql, q.factsMatch(), q.proto(), q.label(), sample, mismatches);
            double[] ours = timed.ours();
            double[] base = timed.base();
            matched[qi] += timed.matched();
            matches.put(q, new double[][] {ours, base});
            System.out.printf("bench: match %s: p50 %.2f ms p99 %.2f ms; plain SQL p50 %.2f ms p99 %.2f ms%n", q.label(),
                    SegmentsScenario.percentile(ours, 50), SegmentsScenario.percentile(ours, 99),
                    SegmentsScenario.percentile(base, 50), SegmentsScenario.percentile(base, 99));
        }

        // The table.
        int n = 1;
        for (Map.Entry<PageViewQuestions.Q, Timing> e : counts.entrySet()) {
            Timing t = e.getValue();
            double ours = median(t.ours());
            report.row(String.format("(%d) count: %s → %,d", n++, e.getKey().label(), t.value()),
                    Report.ms(ours),
                    Report.ms(median(t.facts())) + " same tables / " + Report.ms(median(t.raw())) + " raw views",
                    Report.ratio(ours / median(t.facts())) + " / " + Report.ratio(ours / median(t.raw())),
                    "< 1 s", ours < 1000);
        }
        for (String[] r : streamRows) {
            report.row(r[0], r[1], r[2], r[3], "-", null);
        }
        int qi = 0;
        for (Map.Entry<PageViewQuestions.Q, double[][]> e : matches.entrySet()) {
            double[] ours = e.getValue()[0];
            double[] base = e.getValue()[1];
            report.row(String.format("MatchContact p50 / p99: %s (%,d contacts, %,d matched)", e.getKey().label(), ours.length, matched[qi++]),
                    Report.ms(SegmentsScenario.percentile(ours, 50)) + " / " + Report.ms(SegmentsScenario.percentile(ours, 99)),
                    Report.ms(SegmentsScenario.percentile(base, 50)) + " / " + Report.ms(SegmentsScenario.percentile(base, 99))
                            + " same tables",
                    Report.ratio(SegmentsScenario.percentile(ours, 50) / SegmentsScenario.percentile(base, 50)) + " / "
                            + Report.ratio(SegmentsScenario.percentile(ours, 99) / SegmentsScenario.percentile(base, 99)),
                    "-", null);
        }
        report.note("Data: " + data.get("spread") + ".");
        report.note("Tables (rows, size with indexes): " + data.get("tables") + "; " + data.get("generation") + ".");
        report.note("Counts: median of " + reps + " runs after one warm-up run of every question on each side, the three sides "
                + "alternating (service, same tables, raw views). Ours: CountContacts over gRPC (one channel, store scope empty). "
                + "Same tables: JDBC on the same database, page_url joined to contact_page_day, GROUP BY contact, HAVING sum(views), "
                + "NOT IN / EXISTS over contact for trees. Raw views: JDBC on bench_raw.page_view (" + String.format("%,d", views) + " rows: store, contact, URL, "
                + "time; in time order, an index by time; unlogged, which changes nothing for reads), count(DISTINCT contact_id) "
                + "WHERE url ILIKE ... (path patterns against the URL after its host), GROUP BY ... HAVING count(*) for a minimum. "
                + "Commerce leaves read contact_fact on every side. Ratio: ours / same tables, ours / raw views. Goal (issue 10): a "
                + "visited-URL count over 10M page views < 1 s, judged on the median. Both baselines run on the same PostgreSQL with "
                + "the same settings (parallel query on, 2 workers per gather), so the ratio holds on a busy machine.");
        report.note("Streams: the service's pages read contacts in id order and sum each one's own counts (its primary key) until "
                + "a page is full; one run each (no repetition), after the counts. Match: one call at a time, each followed by the same "
                + "question for that contact in plain SQL (prepared statement, its sum through the primary key); the first 100 warm up.");
        report.note("CPU (cores) during the counts: " + countCpu + ".");
        report.note("Statements of the segment database during the counts (pg_stat_statements, calls, rows, mean ms):");
        countStatements.stream().limit(12).forEach(s -> report.note("  " + s));
        if (!skipped.isEmpty()) {
            report.note("Skipped for lack of time (bench.deadline): " + String.join("; ", skipped) + ".");
        }
    }

    private Timing timeAll(Supplier<Long> ours, Supplier<Long> facts, Supplier<Long> raw) {
        double[] a = new double[reps];
        double[] b = new double[reps];
        double[] c = new double[reps];
        long va = -1;
        long vb = -1;
        long vc = -1;
        for (int i = 0; i < reps; i++) {
            long s = System.nanoTime();
            long x = ours.get();
            long m = System.nanoTime();
            long y = facts.get();
            long m2 = System.nanoTime();
            long z = raw.get();
            long e = System.nanoTime();
            if (va >= 0 && x != va) {
                mismatches.add("the service counted " + va + " then " + x + " for the same question");
            }
            va = x;
            vb = y;
            vc = z;
            a[i] = (m - s) / 1e6;
            b[i] = (m2 - m) / 1e6;
            c[i] = (e - m2) / 1e6;
        }
        return new Timing(a, b, c, va, vb, vc);
    }

    private void check(String what, PageViewQuestions.Q q, long[] ours, long[] expected) {
        if (ours[0] != expected[0] || ours[1] != expected[1]) {
            mismatches.add(String.format("%s of \"%s\": %,d ids from the service, %,d from plain SQL%s", what, q.label(), ours[0],
                    expected[0], ours[0] == expected[0] ? " (same number, different ids)" : ""));
        }
    }

    private static double median(double[] values) {
        return SegmentsScenario.percentile(values, 50);
    }

    private static long serviceCount(SegmentServiceGrpc.SegmentServiceBlockingStub stub, PageViewQuestions.Q q) {
        return stub.withDeadlineAfter(300, TimeUnit.SECONDS)
                .countContacts(CountContactsRequest.newBuilder().setCondition(q.proto()).build()).getCount();
    }

    private static long sqlCount(Connection sql, String query, PageViewQuestions.Q q) {
        try (Statement s = sql.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(q.label() + ": " + e.getMessage() + "\n" + query, e);
        }
    }

    /** {number of ids, order-sensitive hash}: two equal lists give equal pairs. Ids must come in increasing order. */
    private static long[] streamIds(SegmentServiceGrpc.SegmentServiceBlockingStub stub, PageViewQuestions.Q q, int batch) {
        Iterator<StreamContactsResponse> it = stub.withDeadlineAfter(300, TimeUnit.SECONDS)
                .streamContacts(StreamContactsRequest.newBuilder().setCondition(q.proto()).setBatchSize(batch).build());
        long[] acc = {0, 0};
        String[] previous = {""};
        while (it.hasNext()) {
            for (String id : it.next().getContactIdsList()) {
                add(acc, previous, id, "StreamContacts");
            }
        }
        return acc;
    }

    /** The same through ListContacts, page after page; {@code pages[0]} receives the number of calls. */
    private static long[] listIds(SegmentServiceGrpc.SegmentServiceBlockingStub stub, PageViewQuestions.Q q, int size, long[] pages) {
        long[] acc = {0, 0};
        String[] previous = {""};
        String token = "";
        do {
            ListContactsResponse r = stub.withDeadlineAfter(60, TimeUnit.SECONDS).listContacts(ListContactsRequest.newBuilder()
                    .setCondition(q.proto()).setPageSize(size).setPageToken(token).build());
            pages[0]++;
            for (Contact c : r.getContactsList()) {
                add(acc, previous, c.getContactId(), "ListContacts");
            }
            token = r.getNextPageToken();
        } while (!token.isEmpty());
        return acc;
    }

    private static void add(long[] acc, String[] previous, String id, String what) {
        if (id.compareTo(previous[0]) <= 0) {
            throw new IllegalStateException(what + " sent " + id + " after " + previous[0]);
        }
        previous[0] = id;
        acc[0]++;
        acc[1] = acc[1] * 31 + id.hashCode();
    }

    private static long[] sqlIds(Connection sql, String query) {
        try {
            sql.setAutoCommit(false);
            try (Statement s = sql.createStatement()) {
                s.setFetchSize(10_000);
                long[] acc = {0, 0};
                try (ResultSet rs = s.executeQuery(query)) {
                    while (rs.next()) {
                        acc[0]++;
                        acc[1] = acc[1] * 31 + rs.getString(1).hashCode();
                    }
                }
                return acc;
            } finally {
                sql.commit();
                sql.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage() + "\n" + query, e);
        }
    }

    /** The two stores of the generated views, in the cart service (the segment service checks that named stores exist). */
    private static void createStores(CartService cart) {
        ManagedChannel channel = cart.channel();
        try {
            var stub = StoreServiceGrpc.newBlockingStub(channel).withCallCredentials(new BearerToken(CartService.TOKEN));
            for (String id : List.of(PageViewData.STORE, PageViewData.OTHER_STORE)) {
                stub.withDeadlineAfter(30, TimeUnit.SECONDS).createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder()
                        .setStoreId(id).setDisplayName(id).setCurrencyCode("EUR").setTimeZone("Europe/Paris")).build());
            }
        } finally {
            TransactionService.shutdown(channel);
        }
    }

    private static Map<String, Supplier<List<Long>>> groups(Postgres pg, JarProcess segment) {
        Map<String, Supplier<List<Long>>> g = new LinkedHashMap<>();
        g.put("postgres", () -> Procs.tree(pg.pid()));
        g.put("segment service", () -> List.of(segment.pid()));
        g.put("bench", () -> List.of(ProcessHandle.current().pid()));
        return g;
    }
}
