package org.relance.bench;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.cart.v1.Store;
import org.relance.kit.grpc.BearerToken;

/**
 * Submits per second through the cart service (gRPC, group commit) against pgbench running the
 * same SQL on the same PostgreSQL, one submit and ten submits per transaction.
 */
final class SubmitsScenario {
    static final String STORE = "bench";
    private static final Pattern MIGRATION = Pattern.compile("V(\\d+)__.*\\.sql");

    private final Path work;
    private final Path root = Bench.root();
    private final int warmupSeconds = Bench.intProp("bench.warmup", 5);
    private final int seconds = Bench.intProp("bench.duration", 20);
    private final int concurrency = Bench.intProp("bench.concurrency", 128);
    private final int channels = Bench.intProp("bench.channels", 2);
    private final int pgbenchClients = Bench.intProp("bench.pgbench.clients", 8);
    private final int pgbenchThreads = Bench.intProp("bench.pgbench.threads", 2);
    private final double goalRatio = 0.6;
    private final double goalP99Millis = 25;

    SubmitsScenario(Path work) {
        this.work = work;
    }

    Report run() {
        Report report = new Report("submits");
        try (Postgres pg = Postgres.start(work)) {
            System.out.println("bench: " + pg.version() + " on port " + pg.port() + " (data in " + work + ")");
            pg.createDatabase("relance_cart");
            pg.createDatabase("pgbench_cart");

            // The service.
            SubmitLoad.Result peak;
            SubmitLoad.Result half;
            String serviceCpu;
            String serviceActivity;
            List<String> mirrorMissing;
            List<String> unmirrored;
            double halfBatchAverage;
            String halfCpu;
            double batchAverage;
            List<String> statements;
            try (CartService service = CartService.external(root, work.resolve("cart-service.log"), pg.serviceUrl("relance_cart"),
                    Map.of("RELANCE_CART_SWEEP_INTERVAL", "off", "RELANCE_CART_PURGE_INTERVAL", "off"))) {
                long ready = service.awaitReady(java.time.Duration.ofSeconds(90));
                System.out.printf("bench: cart service ready in %.2f s (pid %d, port %d)%n", ready / 1e9, service.pid(), service.port());
                List<ManagedChannel> chans = new ArrayList<>();
                for (int i = 0; i < channels; i++) {
                    chans.add(service.channel());
                }
                try {
                    createStore(chans.get(0));
                    seed(pg, "relance_cart");
                    SubmitLoad load = new SubmitLoad(chans, STORE, "g" + System.currentTimeMillis());
                    pg.execute("postgres", "SELECT pg_stat_statements_reset()");
                    System.out.printf("bench: closed loop, %d calls in flight on %d channels, %d s warm-up + %d s%n",
                            concurrency, channels, warmupSeconds, seconds);
                    CpuMonitor.awaitQuiet("the peak run");
                    java.time.Instant peakFrom = java.time.Instant.now().plusSeconds(warmupSeconds);
                    try (CpuMonitor cpu = new CpuMonitor(groups(pg, service));
                         ActivitySampler activity = new ActivitySampler(pg, "relance_cart", "cart-service", warmupSeconds * 1000L)) {
                        peak = load.closedLoop(concurrency, warmupSeconds * 1000L, seconds * 1000L);
                        cpu.close();
                        activity.close();
                        serviceCpu = cpu.describe();
                        serviceActivity = activity.describe();
                    }
                    System.out.println("bench: the service's connections (pg_stat_activity): " + serviceActivity);
                    System.out.println("bench: service peak: " + peak.describe());
                    System.out.println("bench: CPU (cores) " + serviceCpu);
                    batchAverage = batchAverage(pg, peakFrom, peakFrom.plusSeconds(seconds));
                    statements = statementStats(pg, "relance_cart");
                    statements.forEach(s -> System.out.println("  " + s));
                    Map<String, Long> recorded = Mirror.recorded(pg, "relance_cart");
                    mirrorMissing = Mirror.missing(recorded, SubmitSql.BATCH);
                    long batches = Math.round(peak.ok() / Math.max(1, batchAverage));
                    List<String> known = new ArrayList<>(SubmitSql.BATCH);
                    known.addAll(List.of("BEGIN", "COMMIT"));
                    unmirrored = Mirror.unmirrored(recorded, known, (long) (0.9 * batches));
                    System.out.println("bench: statements of the service's batch not found in the pgbench mirror: "
                            + (mirrorMissing.isEmpty() ? "none" : mirrorMissing));
                    System.out.println("bench: statements the service ran about once per batch or more, not in the mirror: " + unmirrored);

                    double rate = peak.perSecond() / 2;
                    System.out.printf("bench: open loop at half of peak, %.0f submits/s, %d s warm-up + %d s%n", rate, warmupSeconds, seconds);
                    CpuMonitor.awaitQuiet("the half-peak run");
                    java.time.Instant halfFrom = java.time.Instant.now().plusSeconds(warmupSeconds);
                    try (CpuMonitor cpu = new CpuMonitor(groups(pg, service))) {
                        half = load.openLoop(rate, warmupSeconds * 1000L, seconds * 1000L, 20_000);
                        cpu.close();
                        halfCpu = cpu.describe();
                    }
                    System.out.println("bench: CPU (cores) " + halfCpu);
                    halfBatchAverage = batchAverage(pg, halfFrom, halfFrom.plusSeconds(seconds));
                    System.out.println("bench: service at half peak: " + half.describe());
                } finally {
                    for (ManagedChannel c : chans) {
                        c.shutdownNow();
                        try {
                            c.awaitTermination(5, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
            }

            // pgbench with the same SQL, on a database with the same schema.
            applyMigrations(pg, "pgbench_cart");
            pg.execute("pgbench_cart", "INSERT INTO store (store_id, display_name, currency_code, time_zone, "
                    + "abandonment_delay_seconds, cart_retention_seconds, create_time, update_time) "
                    + "VALUES ('" + STORE + "', 'Bench', 'EUR', 'Europe/Paris', 3600, 1296000, now(), now())");
            seed(pg, "pgbench_cart");
            pg.execute("postgres", "SELECT pg_stat_statements_reset()");
            Map<Integer, Pgbench.Result> pgbench = new LinkedHashMap<>();
            Map<Integer, String> pgbenchCpu = new LinkedHashMap<>();
            int run = 1;
            // 1 and 10 submits per transaction, and the batch size the service formed on average.
            int matched = (int) Math.round(batchAverage);
            List<Integer> sizes = new ArrayList<>(List.of(1, 10));
            if (matched > 10) {
                sizes.add(matched);
            }
            for (int perTx : sizes) {
                if (perTx != 1 && Bench.secondsLeft() < seconds + 20) {
                    report.note("pgbench with " + perTx + " submits per transaction skipped for lack of time (bench.deadline).");
                    continue;
                }
                String script = SubmitSql.script(STORE, perTx);
                System.out.printf("bench: pgbench, %d submit(s) per transaction, -c %d -j %d -T %d -M prepared%n",
                        perTx, pgbenchClients, pgbenchThreads, seconds);
                Pgbench.Result r;
                CpuMonitor.awaitQuiet("pgbench");
                try (CpuMonitor cpu = new CpuMonitor(pgbenchGroups(pg))) {
                    r = Pgbench.run(pg, "pgbench_cart", work.resolve("submit-" + perTx + ".sql"), script,
                            pgbenchClients, pgbenchThreads, seconds, run++);
                    cpu.close();
                    pgbenchCpu.put(perTx, cpu.describe());
                }
                if (r.failed() > 0) {
                    throw new IllegalStateException("pgbench had failed transactions:\n" + r.output());
                }
                pgbench.put(perTx, r);
                System.out.printf("bench: pgbench %d/tx: %.0f tps = %.0f submits/s, latency average %.2f ms%n",
                        perTx, r.tps(), r.tps() * perTx, r.latencyMillis());
                System.out.println("bench: CPU (cores) " + pgbenchCpu.get(perTx));
            }
            checkRows(pg, pgbench);
            System.out.println("bench: statements of the pgbench runs (pg_stat_statements):");
            statementStats(pg, "pgbench_cart").forEach(x -> System.out.println("  " + x));

            double service = peak.perSecond();
            int bestPerTx = 1;
            for (Map.Entry<Integer, Pgbench.Result> e : pgbench.entrySet()) {
                if (e.getValue().tps() * e.getKey() > pgbench.get(bestPerTx).tps() * bestPerTx) {
                    bestPerTx = e.getKey();
                }
            }
            double best = pgbench.get(bestPerTx).tps() * bestPerTx;
            report.row(String.format("submits/s, gRPC, %d in flight (%d failed)", concurrency, peak.failed()),
                    String.format("%,.0f", service),
                    String.format("%,.0f (best pgbench: %d submits/tx)", best, bestPerTx),
                    Report.ratio(service / best) + (mirrorMissing.isEmpty() ? "" : " (SQL mirror out of date)"),
                    "≥ " + goalRatio, peak.failed() == 0 && mirrorMissing.isEmpty() && service >= goalRatio * best);
            for (Map.Entry<Integer, Pgbench.Result> e : pgbench.entrySet()) {
                double perSecond = e.getValue().tps() * e.getKey();
                report.row(String.format("  same vs pgbench, %d submit%s/tx%s, -c %d", e.getKey(), e.getKey() == 1 ? "" : "s",
                                e.getKey() == matched ? " (the service's average batch)" : "", pgbenchClients),
                        String.format("%,.0f", service), String.format("%,.0f", perSecond), Report.ratio(service / perSecond), "-", null);
            }
            report.row("latency at peak, p50 / p99", Report.ms(peak.percentileMillis(50)) + " / " + Report.ms(peak.percentileMillis(99)),
                    "pgbench average per transaction: " + String.join(", ", pgbench.entrySet().stream()
                            .map(e -> String.format("%.2f ms (%d/tx)", e.getValue().latencyMillis(), e.getKey())).toList()),
                    "-", "-", null);
            report.row(String.format("p99 at half of peak (open loop, %,.0f/s, %d failed, %d dropped)", half.perSecond(), half.failed(), half.dropped()),
                    Report.ms(half.percentileMillis(99)), "-", "-", "< " + (int) goalP99Millis + " ms",
                    half.failed() == 0 && half.dropped() == 0 && half.percentileMillis(99) < goalP99Millis);
            report.note(String.format("Service: p50 %.2f ms, p99.9 %.2f ms at half peak; %,d submits in the %d s window at peak.",
                    half.percentileMillis(50), half.percentileMillis(99.9), peak.ok(), seconds));
            report.note(String.format("Group commit: %.1f submits per transaction on average at peak, %.1f at half of peak.",
                    batchAverage, halfBatchAverage));
            report.note("pgbench mirror of the service's batch SQL: " + (mirrorMissing.isEmpty()
                    ? "every statement found in what the service ran (pg_stat_statements)"
                    : "OUT OF DATE, not run by the service: " + mirrorMissing)
                    + "; run by the service about once per batch or more and not in the mirror: "
                    + (unmirrored.isEmpty() ? "none" : String.join("; ", unmirrored)) + ".");
            report.note("CPU at peak (cores): " + serviceCpu + "; at half of peak: " + halfCpu + ".");
            report.note("The service's database connections at peak, sampled every ~5 ms (pg_stat_activity): " + serviceActivity + ".");
            pgbenchCpu.forEach((perTx, text) -> report.note("CPU, pgbench " + perTx + "/tx: " + text + "."));
            report.note("Submit = AddCart + 2 AddCartItem of a new cart, no visitor or contact (so the batch has no suppression or "
                    + "visitor lookup). pgbench runs the same statements (BEGIN, advisory locks, submit lookup, store lookup, "
                    + "cart lookup FOR UPDATE, cart upsert, submit insert, event append with pg_notify, COMMIT) with -M prepared.");
            report.note("Statements of the service's run (pg_stat_statements, calls, mean ms):");
            statements.forEach(s -> report.note("  " + s));
        }
        return report;
    }

    static Map<String, Supplier<List<Long>>> groups(Postgres pg, CartService service) {
        Map<String, Supplier<List<Long>>> g = new LinkedHashMap<>();
        g.put("postgres", () -> Procs.tree(pg.pid()));
        g.put("service", () -> List.of(service.pid()));
        g.put("load", () -> List.of(ProcessHandle.current().pid()));
        return g;
    }

    private static Map<String, Supplier<List<Long>>> pgbenchGroups(Postgres pg) {
        Map<String, Supplier<List<Long>>> g = new LinkedHashMap<>();
        g.put("postgres", () -> Procs.tree(pg.pid()));
        g.put("pgbench", () -> ProcessHandle.current().children()
                .filter(p -> p.info().command().orElse("").endsWith("pgbench"))
                .map(ProcessHandle::pid).toList());
        return g;
    }

    static void createStore(ManagedChannel channel) {
        StoreServiceGrpc.newBlockingStub(channel).withCallCredentials(new BearerToken(CartService.TOKEN))
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder()
                        .setStoreId(STORE).setDisplayName("Bench").setCurrencyCode("EUR").setTimeZone("Europe/Paris")).build());
    }

    /** Average submits per group-commit transaction in a window: every batch stamps its submits with one apply_time. */
    private static double batchAverage(Postgres pg, java.time.Instant from, java.time.Instant to) {
        try (Connection c = pg.connect("relance_cart"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*), count(DISTINCT apply_time) FROM cart_submit "
                     + "WHERE submit_id NOT LIKE 'seed-%' AND apply_time >= '" + from + "' AND apply_time < '" + to + "'")) {
            rs.next();
            return rs.getLong(2) == 0 ? 0 : (double) rs.getLong(1) / rs.getLong(2);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Gives a database the same history before a run: {@code bench.seed} carts (100,000), their
     * submits and events, analysed, as a service that has been running has (and so that plans are
     * made with statistics, not for empty tables).
     */
    static void seed(Postgres pg, String database) {
        int n = Bench.intProp("bench.seed", 100_000);
        if (n <= 0) {
            return;
        }
        long start = System.nanoTime();
        String time = "now() - interval '10 minutes'";
        pg.execute(database,
                "INSERT INTO cart (store_id, cart_id, site_id, visitor_id, contact_id, state, status, total_price, currency_code, "
                        + "items, episode, recovered, outcome, transaction_id, create_time, update_time, abandon_time, convert_time) "
                        + "SELECT '" + STORE + "', 'seed-c' || g, NULL, NULL, NULL, 1, NULL, 59.97, 'EUR', '" + SubmitSql.ITEMS_JSON
                        + "'::jsonb, 0, false, NULL, NULL, " + time + ", " + time + ", NULL, NULL FROM generate_series(1, " + n + ") g",
                "INSERT INTO cart_submit (store_id, submit_id, fingerprint, cart_ids, apply_time) SELECT '" + STORE
                        + "', 'seed-s' || g, decode('" + SubmitSql.FINGERPRINT_HEX + "', 'hex'), ARRAY['seed-c' || g], " + time
                        + " FROM generate_series(1, " + n + ") g",
                "INSERT INTO cart_event (sequence, event_type, occur_time, store_id, cart_id, cart) SELECT e.value + g, 1, " + time
                        + ", '" + STORE + "', 'seed-c' || g, '" + SubmitSql.SNAPSHOT_JSON + "'::jsonb FROM event_counter e, "
                        + "generate_series(1, " + n + ") g WHERE e.name = 'cart_event'",
                "UPDATE event_counter SET value = value + " + n + " WHERE name = 'cart_event'",
                "VACUUM ANALYZE cart, cart_submit, cart_event");
        System.out.printf("bench: %s seeded with %,d carts, submits and events in %.1f s%n", database, n, (System.nanoTime() - start) / 1e9);
    }

    /** The statements a database ran, most called first: calls, rows, mean ms, text. */
    static List<String> statementStats(Postgres pg, String database) {
        List<String> out = new ArrayList<>();
        try (Connection c = pg.connect("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT calls, rows, mean_exec_time, "
                     + "left(regexp_replace(query, '\\s+', ' ', 'g'), 100) FROM pg_stat_statements p "
                     + "JOIN pg_database d ON d.oid = p.dbid WHERE d.datname = '" + database + "' "
                     + "ORDER BY calls DESC, total_exec_time DESC LIMIT 24")) {
            while (rs.next()) {
                out.add(String.format("%,9d calls %,10d rows %8.3f ms  %s", rs.getLong(1), rs.getLong(2), rs.getDouble(3),
                        rs.getString(4)));
            }
        } catch (SQLException e) {
            out.add("(pg_stat_statements unavailable: " + e.getMessage() + ")");
        }
        return out;
    }

    /** pgbench wrote what it claims: one cart, one submit and one event per submit. */
    private static void checkRows(Postgres pg, Map<Integer, Pgbench.Result> runs) {
        long expected = runs.entrySet().stream().mapToLong(e -> e.getValue().transactions() * e.getKey()).sum();
        try (Connection c = pg.connect("pgbench_cart"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM cart), (SELECT count(*) FROM cart_submit), "
                     + "(SELECT count(*) FROM cart_event), (SELECT value FROM event_counter)")) {
            rs.next();
            for (int i = 1; i <= 4; i++) {
                if (rs.getLong(i) < expected) {
                    throw new IllegalStateException("pgbench database has " + rs.getLong(i) + " rows in column " + i
                            + ", expected " + expected);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Applies the cart service's Flyway migrations (V<n>__*.sql, in order) to {@code database}. */
    private void applyMigrations(Postgres pg, String database) {
        Path dir = root.resolve("cart-service/src/main/resources/db/migration");
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> migrations = files.filter(p -> MIGRATION.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt(p -> {
                        Matcher m = MIGRATION.matcher(p.getFileName().toString());
                        m.matches();
                        return Integer.parseInt(m.group(1));
                    }))
                    .toList();
            if (migrations.isEmpty()) {
                throw new IllegalStateException("no migrations in " + dir);
            }
            for (Path m : migrations) {
                pg.execute(database, Files.readString(m, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
