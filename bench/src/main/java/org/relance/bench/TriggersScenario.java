package org.relance.bench;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.relance.api.segment.v1.CreateTriggerRequest;
import org.relance.api.segment.v1.Trigger;
import org.relance.api.segment.v1.TriggerServiceGrpc;
import org.relance.api.segment.v1.WebhookTarget;
import org.relance.kit.grpc.BearerToken;

/**
 * Abandoned-cart reminders decided and delivered by the packaged segment service: 100,000 carts
 * of consenting contacts fall due at the same instant for one trigger (wait about an hour after
 * their abandonment), and the service claims, checks, builds (catalogue enrichment included), signs
 * and POSTs each to a loopback receiver. Measured: deliveries per second from the due time to the
 * last delivery, and the delay from the due time to each delivery (p50/p99); every cart must arrive
 * exactly once with a valid signature. Baselines in the same run: (1) the same receiver hit by a
 * bare JDK HttpClient posting the same signed bodies with the same number in flight — the delivery
 * ceiling of this machine; (2) the dispatcher round's own SQL (claim, cancel, lease, mark sent) run
 * from JDBC on a database holding the same rows — the decision floor of the database.
 */
final class TriggersScenario {
    private static final String TRIGGER_ID = "bench-reminder";
    private static final String SECRET = "bench-webhook-secret-0001";
    private static final String LINK_SECRET = "bench-link-secret-of-enough-length";
    private static final String SEGMENT_DB = "relance_segment";
    private static final String BASELINE_DB = "triggers_sql";
    /** The service's defaults (NotificationConfig): batch-size and concurrency; the baselines use the same. */
    private static final int SERVICE_BATCH = 200;
    private static final int SERVICE_CONCURRENCY = 16;

    private final Path work;
    private final Path root = Bench.root();
    private final int carts = Bench.intProp("bench.triggers.carts", 100_000);
    private final int lead = Bench.intProp("bench.triggers.lead", 5);
    private final int drainSeconds = Bench.intProp("bench.triggers.drain", 330);
    private final int bareSeconds = Bench.intProp("bench.triggers.bare-budget", 60);
    private final int sqlSeconds = Bench.intProp("bench.triggers.sql-budget", 60);
    private final List<String> problems = new ArrayList<>();

    TriggersScenario(Path work) {
        this.work = work;
    }

    Report run() {
        Report report = new Report("triggers");
        try (Postgres pg = Postgres.start(work)) {
            System.out.println("bench: " + pg.version() + " on port " + pg.port() + " (data in " + work + ")");
            for (String db : List.of("relance_cart", "relance_transaction", SEGMENT_DB, BASELINE_DB)) {
                pg.createDatabase(db);
            }
            try (CartService cart = CartService.external(root, work.resolve("cart-service.log"), pg.serviceUrl("relance_cart"),
                    Map.of("RELANCE_CART_PURGE_INTERVAL", "off"))) {
                cart.awaitReady(Duration.ofSeconds(90));
                TransactionService.createStore(cart, TriggerData.STORE);
                try (TransactionService tx = TransactionService.start(root, work.resolve("transaction-service.log"),
                        pg.serviceUrl("relance_transaction"), cart.port())) {
                    tx.awaitReady(Duration.ofSeconds(90));
                    TriggerData.catalogue(pg, "relance_transaction");
                    try (TriggerReceiver receiver = new TriggerReceiver(SECRET, 4)) {
                        Map<String, String> env = new LinkedHashMap<>();
                        env.put("RELANCE_DB_URL", pg.serviceUrl(SEGMENT_DB));
                        env.put("RELANCE_DB_USERNAME", "postgres");
                        env.put("RELANCE_DB_PASSWORD", "");
                        env.put("RELANCE_CART_HOST", "localhost");
                        env.put("RELANCE_CART_PORT", Integer.toString(cart.port()));
                        env.put("RELANCE_TRANSACTION_HOST", "localhost");
                        env.put("RELANCE_TRANSACTION_PORT", Integer.toString(tx.port()));
                        env.put("RELANCE_LINK_SECRET", LINK_SECRET);
                        // Everything else as shipped: poll 1 s, batch 200, 16 deliveries in flight, 10 s webhook time-out.
                        try (JarProcess segment = JarProcess.start(root, "segment-service", "bench.segment.jar",
                                work.resolve("segment-service.log"), env)) {
                            long ready = segment.awaitReady(Duration.ofSeconds(90));
                            System.out.printf("bench: segment service ready in %.2f s (pid %d, port %d)%n", ready / 1e9, segment.pid(),
                                    segment.port());
                            measure(report, pg, cart, tx, segment, receiver);
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> report.note("PROBLEM: " + p));
            report.publish(Bench.resultsDir());
            throw new IllegalStateException(problems.size() + " problems: " + String.join("; ", problems));
        }
        return report;
    }

    private void measure(Report report, Postgres pg, CartService cart, TransactionService tx, JarProcess segment,
                         TriggerReceiver receiver) throws SQLException {
        // Every cart abandoned at one instant, an hour ago: as one sweeper round stamps all the carts it marks.
        Instant abandon = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(1, ChronoUnit.HOURS);
        long genStart = System.nanoTime();
        TriggerData.generate(pg, SEGMENT_DB, carts, abandon);
        double genSegment = (System.nanoTime() - genStart) / 1e9;
        TriggerData.applySegmentMigrations(root, pg, BASELINE_DB);
        TriggerData.generate(pg, BASELINE_DB, carts, abandon);
        System.out.printf("bench: %,d contacts and abandoned carts written in %.1f s (and again in the baseline database, %.1f s in all)%n",
                carts, genSegment, (System.nanoTime() - genStart) / 1e9);
        pg.execute("postgres", "SELECT pg_stat_statements_reset()");

        // ---- the service ----
        TriggerReceiver.Tally ours = receiver.open("/hook/service", 2000);
        CpuMonitor.awaitQuiet("the service run");
        // The wait is chosen so that every cart falls due `lead` seconds after the trigger is created
        // (a trigger only notifies carts whose wait ends after it became active): about an hour, the default.
        Instant due = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1 + lead);
        long waitSeconds = Duration.between(abandon, due).toSeconds();
        long dueMicros = TriggerReceiver.micros(due);
        ManagedChannel channel = segment.channel();
        Instant created;
        try {
            created = Instant.now();
            TriggerServiceGrpc.newBlockingStub(channel).withCallCredentials(new BearerToken(CartService.TOKEN))
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .createTrigger(CreateTriggerRequest.newBuilder().setRequestId(UUID.randomUUID().toString())
                            .setTrigger(Trigger.newBuilder().setTriggerId(TRIGGER_ID).setStoreId(TriggerData.STORE)
                                    .setDisplayName("Bench reminder")
                                    .setWait(com.google.protobuf.Duration.newBuilder().setSeconds(waitSeconds))
                                    .setWebhook(WebhookTarget.newBuilder().setUrl(receiver.url("/hook/service")).setSecret(SECRET)))
                            .build());
        } finally {
            TransactionService.shutdown(channel);
        }
        System.out.printf("bench: trigger created (wait %d s); %,d carts fall due at %s%n", waitSeconds, carts, due);
        long budget = Math.max(30, Math.min(drainSeconds, Bench.secondsLeft() - 60 - bareSeconds / 3 - sqlSeconds / 2));
        String serviceCpu;
        boolean drained;
        long serviceEnd;
        try (CpuMonitor cpu = new CpuMonitor(groups(pg, segment, cart, tx)); Connection sql = pg.connect(SEGMENT_DB)) {
            long stop = System.nanoTime() + TimeUnit.SECONDS.toNanos(budget + lead);
            long nextPrint = System.nanoTime() + TimeUnit.SECONDS.toNanos(lead + 10);
            int lastCount = 0;
            while (ours.distinct() < carts && System.nanoTime() < stop) {
                Postgres.sleep(100);
                if (System.nanoTime() >= nextPrint) {
                    int n = ours.distinct();
                    System.out.printf("bench: %,d delivered (%,.0f/s over the last 10 s); notifications by state: %s%n", n,
                            (n - lastCount) / 10.0, states(sql));
                    lastCount = n;
                    nextPrint += TimeUnit.SECONDS.toNanos(10);
                }
            }
            drained = ours.distinct() >= carts;
            serviceEnd = TriggerReceiver.micros(Instant.now());
            cpu.close();
            serviceCpu = cpu.describe();
        }
        // A few more dispatcher rounds: a repeat would show now.
        Postgres.sleep(3000);
        List<String> statements = SubmitsScenario.statementStats(pg, SEGMENT_DB);
        long[] got = ours.sortedMicros();
        Map<String, Long> db = notificationFigures(pg, dueMicros);
        int delivered = got.length;
        if (ours.duplicates.get() > 0) {
            problems.add(ours.duplicates.get() + " notifications reached the receiver more than once");
        }
        if (ours.badSignatures.get() > 0 || ours.badBodies.get() > 0) {
            problems.add(ours.badSignatures.get() + " bad signatures and " + ours.badBodies.get() + " bodies not naming their header's id");
        }
        if (drained && db.get("sent").longValue() != carts) {
            problems.add("the receiver got every cart but the service recorded " + db.get("sent") + " sent");
        }
        if (db.get("due_min").longValue() != dueMicros || db.get("due_max").longValue() != dueMicros) {
            problems.add("notifications' due_time not all " + due);
        }
        if (db.get("sent_carts").longValue() != db.get("sent").longValue()) {
            problems.add(db.get("sent") + " sent notifications for " + db.get("sent_carts") + " carts");
        }
        long enriched = ours.samples.stream().filter(s -> s[1].contains("\"imageUrl\":\"https://cdn.shop.example/")
                && s[1].contains("\"returnToCartUrl\":\"http")).count();
        if (enriched != ours.samples.size()) {
            problems.add((ours.samples.size() - enriched) + " of " + ours.samples.size() + " sampled payloads lack catalogue images or a restore link");
        }
        long requests = ours.requests.get();
        long bytes = ours.bodyBytes.get();
        System.out.printf("bench: service: %,d of %,d delivered, %d duplicates; %s%n", delivered, carts, ours.duplicates.get(), db);
        // Stopped before the baselines: a service still working through its backlog would compete with them for the two cores.
        segment.close();

        // ---- baseline 1: the bare client, same receiver, same bodies, same number in flight ----
        TriggerReceiver.Tally bare = receiver.open("/hook/bare", 0);
        List<String[]> samples;
        synchronized (ours.samples) {
            samples = List.copyOf(ours.samples);
        }
        CpuMonitor.awaitQuiet("the bare client");
        TriggerBareClient.Result bareRun;
        String bareCpu;
        try (CpuMonitor cpu = new CpuMonitor(groups(pg, segment, cart, tx))) {
            bareRun = TriggerBareClient.run(receiver.url("/hook/bare"), samples, carts, SERVICE_CONCURRENCY, SECRET,
                    Duration.ofSeconds(Math.max(10, Math.min(bareSeconds, Bench.secondsLeft() - 40 - sqlSeconds / 2))));
            cpu.close();
            bareCpu = cpu.describe();
        }
        Postgres.sleep(200);
        long[] bareGot = bare.sortedMicros();
        if (bareRun.failed() > 0 || bare.badSignatures.get() > 0 || bare.duplicates.get() > 0) {
            problems.add(String.format("bare client: %d failed (%s), %d bad signatures, %d duplicates", bareRun.failed(),
                    bareRun.firstError(), bare.badSignatures.get(), bare.duplicates.get()));
        }
        System.out.printf("bench: bare client: %,d sent, %,d received in %.2f s%n", bareRun.sent(), bareGot.length,
                bareGot.length == 0 ? 0 : (bareGot[bareGot.length - 1] - bareRun.startMicros()) / 1e6);

        // ---- baseline 2: the round's SQL from JDBC, same rows ----
        TriggerClaimSql.Result sqlRun = null;
        String sqlCpu = "-";
        long sqlBudget = Math.min(sqlSeconds, Bench.secondsLeft() - 25);
        if (sqlBudget >= 10) {
            try (Connection c = pg.connect(BASELINE_DB)) {
                TriggerClaimSql.insertTrigger(c, TRIGGER_ID, waitSeconds, created, receiver.url("/hook/sql"));
                CpuMonitor.awaitQuiet("the SQL baseline");
                try (CpuMonitor cpu = new CpuMonitor(groups(pg, segment, cart, tx))) {
                    sqlRun = TriggerClaimSql.run(c, TRIGGER_ID, waitSeconds, created, SERVICE_BATCH, carts, sqlBudget);
                    cpu.close();
                    sqlCpu = cpu.describe();
                }
            }
            System.out.printf("bench: SQL rounds: %,d marked sent in %.2f s (%d rounds)%n", sqlRun.sent(), sqlRun.seconds(), sqlRun.rounds());
        }

        // ---- the table ----
        double[] lat = millisFrom(got, dueMicros);
        double[] bareLat = millisFrom(bareGot, bareRun.startMicros());
        double span = delivered == 0 ? Double.NaN : (got[delivered - 1] - dueMicros) / 1e6;
        double rate = delivered / span;
        double bareSpan = bareGot.length == 0 ? Double.NaN : (bareGot[bareGot.length - 1] - bareRun.startMicros()) / 1e6;
        double bareRate = bareGot.length / bareSpan;
        report.row(String.format("reminders decided and delivered/s: %,d carts due at once, due time → last delivery%s", carts,
                        drained ? "" : String.format(" (only %,d delivered within %d s)", delivered, budget)),
                String.format("%,.0f/s (%,d in %.1f s)", rate, delivered, span),
                String.format("%,.0f/s (%,d in %.1f s; bare JDK HttpClient, same bodies, %d in flight)", bareRate, bareGot.length, bareSpan,
                        SERVICE_CONCURRENCY),
                Report.ratio(rate / bareRate), "-", null);
        // Over every due cart: one not delivered within the window counts as later than the window.
        double p50 = ofAll(lat, carts, 50);
        double p99 = ofAll(lat, carts, 99);
        double window = (serviceEnd - dueMicros) / 1e6;
        report.row(String.format("due time → delivery, p50 / p99 (of all %,d carts)", carts),
                seconds(p50, window) + " / " + seconds(p99, window),
                String.format("%.2f s / %.2f s (burst start → receipt, bare client, %,d requests)", percentile(bareLat, 50) / 1000,
                        percentile(bareLat, 99) / 1000, bareGot.length),
                (Double.isNaN(p50) ? "-" : Report.ratio(p50 / percentile(bareLat, 50))) + " / "
                        + (Double.isNaN(p99) ? "-" : Report.ratio(p99 / percentile(bareLat, 99))),
                "-", null);
        double decided = db.get("done") / ((db.get("complete_max") - dueMicros) / 1e6);
        if (sqlRun != null) {
            double sqlRate = sqlRun.sent() / sqlRun.seconds();
            report.row(String.format("decided/s (claimed, leased and recorded; %,d of %,d)", db.get("done"), carts),
                    String.format("%,.0f/s", decided),
                    String.format("%,.0f/s (%,d in %.1f s: the round's SQL from JDBC, batches of %d, no checks, payload or POST)", sqlRate,
                            sqlRun.sent(), sqlRun.seconds(), SERVICE_BATCH),
                    Report.ratio(decided / sqlRate), "-", null);
        }

        report.note(String.format("Service: first delivery %.2f s after the due time, 10%% → 90%% of the deliveries at %,.0f/s; "
                        + "claims from %.2f s to %.2f s after the due time (%,.0f claims/s); notifications by state: %,d sent, %,d skipped, "
                        + "%,d failed, %,d pending; %,d attempts logged; receiver: %,d requests, %,d distinct ids, %d repeats, %d bad "
                        + "signatures, %d bodies not naming their id; mean body %,d bytes; %d of %d sampled bodies carry catalogue images "
                        + "and a signed restore link.",
                delivered == 0 ? Double.NaN : (got[0] - dueMicros) / 1e6, steadyRate(got),
                (db.get("create_min") - dueMicros) / 1e6, (db.get("create_max") - dueMicros) / 1e6,
                db.get("claimed") / Math.max(1e-3, (db.get("create_max") - db.get("create_min")) / 1e6),
                db.get("sent"), db.get("skipped"), db.get("failed"), db.get("pending"), db.get("attempts"),
                requests, delivered, ours.duplicates.get(), ours.badSignatures.get(), ours.badBodies.get(),
                requests == 0 ? 0 : bytes / requests, enriched, ours.samples.size()));
        report.note(String.format("Bare client: %,d sent, %d failed, 10%% → 90%% at %,.0f/s.", bareRun.sent(), bareRun.failed(),
                steadyRate(bareGot)));
        if (sqlRun != null) {
            report.note(String.format("SQL rounds from JDBC: %,d rounds; the claim statement took %.1f ms per round over the first 10 rounds "
                            + "and %.1f ms over the last 10, %.0f%% of the loop's time.", sqlRun.rounds(), sqlRun.claimMillisFirst(),
                    sqlRun.claimMillisLast(), 100 * sqlRun.claimShare()));
            report.note("Claim plan at the start (EXPLAIN ANALYZE, rolled back): " + summary(sqlRun.planStart()));
            if (!sqlRun.planMiddle().isEmpty()) {
                report.note("Claim plan once half were sent: " + summary(sqlRun.planMiddle()));
            }
            writePlans(sqlRun);
        }
        report.note("CPU (cores) during the service run: " + serviceCpu + "; during the bare client: " + bareCpu
                + "; during the SQL rounds: " + sqlCpu + ".");
        report.note("Statements of the segment database during the service run (pg_stat_statements, calls, rows, mean ms):");
        statements.stream().limit(16).forEach(s -> report.note("  " + s));
        report.note(String.format("Data: %,d contacts (e-mail, consent granted), each with one cart abandoned in %s at %s (1–5 lines of a "
                        + "%,d-product catalogue whose products have URLs and images in the transaction service); trigger %s on %s, wait %d s, "
                        + "no filter, condition or quiet hours, created %.1f s before the due time; service settings as shipped "
                        + "(poll 1 s, batch %d, %d in flight).", carts, TriggerData.STORE, abandon, TriggerData.PRODUCTS, TRIGGER_ID,
                TriggerData.STORE, waitSeconds, Duration.between(created, due).toMillis() / 1e3, SERVICE_BATCH, SERVICE_CONCURRENCY));
    }

    /** {state: count} of the notification table, for the progress lines. */
    private static String states(Connection sql) {
        try (Statement s = sql.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT state, count(*) FROM notification GROUP BY state ORDER BY state")) {
            StringBuilder b = new StringBuilder();
            String[] names = {"?", "pending", "sent", "skipped", "failed"};
            while (rs.next()) {
                int state = rs.getInt(1);
                b.append(b.length() == 0 ? "" : ", ").append(state < names.length ? names[state] : "state " + state).append(' ')
                        .append(String.format("%,d", rs.getLong(2)));
            }
            return b.length() == 0 ? "none yet" : b.toString();
        } catch (SQLException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    /** Counts and times (epoch microseconds) of the service's notifications. */
    private static Map<String, Long> notificationFigures(Postgres pg, long dueMicros) throws SQLException {
        Map<String, Long> m = new LinkedHashMap<>();
        try (Connection c = pg.connect(SEGMENT_DB); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                SELECT count(*) AS claimed, count(*) FILTER (WHERE state = 1) AS pending, count(*) FILTER (WHERE state = 2) AS sent,
                       count(*) FILTER (WHERE state = 3) AS skipped, count(*) FILTER (WHERE state = 4) AS failed,
                       count(*) FILTER (WHERE state <> 1) AS done, count(DISTINCT cart_id) FILTER (WHERE state = 2) AS sent_carts,
                       (SELECT count(*) FROM notification_attempt) AS attempts,
                       coalesce(floor(extract(epoch FROM min(due_time)) * 1000000), 0)::bigint AS due_min,
                       coalesce(floor(extract(epoch FROM max(due_time)) * 1000000), 0)::bigint AS due_max,
                       coalesce(floor(extract(epoch FROM min(create_time)) * 1000000), 0)::bigint AS create_min,
                       coalesce(floor(extract(epoch FROM max(create_time)) * 1000000), 0)::bigint AS create_max,
                       coalesce(floor(extract(epoch FROM max(complete_time)) * 1000000), 0)::bigint AS complete_max
                FROM notification""")) {
            rs.next();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                m.put(rs.getMetaData().getColumnLabel(i), rs.getLong(i));
            }
        }
        if (m.get("complete_max") == 0) {
            m.put("complete_max", dueMicros + 1);
        }
        return m;
    }

    /** The p-th percentile (nearest rank) over {@code total} values of which only {@code known} arrived; NaN when it lies beyond them. */
    private static double ofAll(double[] known, int total, double p) {
        double[] sorted = known.clone();
        java.util.Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * total);
        return rank <= sorted.length ? sorted[Math.max(0, rank - 1)] : Double.NaN;
    }

    private static String seconds(double millis, double windowSeconds) {
        return Double.isNaN(millis) ? String.format("> %.0f s (not delivered yet)", windowSeconds) : String.format("%.1f s", millis / 1000);
    }

    private static double[] millisFrom(long[] micros, long originMicros) {
        double[] out = new double[micros.length];
        for (int i = 0; i < micros.length; i++) {
            out[i] = (micros[i] - originMicros) / 1000.0;
        }
        return out;
    }

    /** Deliveries per second between the 10th and the 90th percentile of the arrivals: the pace once started, before the tail. */
    private static double steadyRate(long[] sortedMicros) {
        if (sortedMicros.length < 10) {
            return Double.NaN;
        }
        int a = sortedMicros.length / 10;
        int b = sortedMicros.length * 9 / 10;
        return (b - a) / ((sortedMicros[b] - sortedMicros[a]) / 1e6);
    }

    /** The plan's first line, its scans, sorts and anti-joins, JIT time and execution time, on one line. */
    private static String summary(List<String> plan) {
        List<String> keep = new ArrayList<>();
        for (String line : plan) {
            String t = line.trim();
            if (keep.isEmpty() || t.contains("Scan") || t.contains("Sort Method") || t.startsWith("->  Sort") || t.contains("Anti Join")
                    || t.startsWith("Rows Removed by Join Filter") || t.startsWith("Timing:") || t.startsWith("Execution Time")
                    || t.startsWith("Planning Time")) {
                keep.add(t.replaceFirst("^->\\s+", ""));
            }
        }
        return "`" + String.join("`; `", keep) + "`";
    }

    private static void writePlans(TriggerClaimSql.Result r) {
        try {
            java.nio.file.Files.createDirectories(Bench.resultsDir());
            java.nio.file.Files.writeString(Bench.resultsDir().resolve("triggers-claim-plans.txt"), "Claim at the start:\n"
                    + String.join("\n", r.planStart()) + "\n\nClaim once half were sent:\n" + String.join("\n", r.planMiddle()) + "\n");
        } catch (java.io.IOException e) {
            System.out.println("bench: could not write the plans: " + e);
        }
    }

    private static Map<String, Supplier<List<Long>>> groups(Postgres pg, JarProcess segment, CartService cart, TransactionService tx) {
        Map<String, Supplier<List<Long>>> g = new LinkedHashMap<>();
        g.put("postgres", () -> Procs.tree(pg.pid()));
        g.put("segment service", () -> List.of(segment.pid()));
        g.put("transaction service", () -> List.of(tx.pid()));
        g.put("cart service", () -> List.of(cart.pid()));
        g.put("bench (receiver, clients)", () -> List.of(ProcessHandle.current().pid()));
        return g;
    }

    private static double percentile(double[] values, double p) {
        return SegmentsScenario.percentile(values, p);
    }
}
