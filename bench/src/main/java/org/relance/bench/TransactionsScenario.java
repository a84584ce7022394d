package org.relance.bench;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

/**
 * RecordTransaction calls per second through the transaction service (gRPC, 3 items, no cart)
 * against pgbench running the same SQL on the same PostgreSQL.
 */
final class TransactionsScenario {
    static final String STORE = "bench";

    private final Path work;
    private final Path root = Bench.root();
    private final int warmupSeconds = Bench.intProp("bench.warmup", 5);
    private final int seconds = Bench.intProp("bench.tx.duration", 15);
    private final int concurrency = Bench.intProp("bench.tx.concurrency", 64);
    private final int pgbenchClients = Bench.intProp("bench.tx.pgbench.clients", concurrency);
    private final int pgbenchThreads = Bench.intProp("bench.pgbench.threads", 2);

    TransactionsScenario(Path work) {
        this.work = work;
    }

    Report run() {
        Report report = new Report("transactions");
        try (Postgres pg = Postgres.start(work)) {
            System.out.println("bench: " + pg.version() + " on port " + pg.port() + " (data in " + work + ")");
            pg.createDatabase("relance_cart");
            pg.createDatabase("relance_transaction");
            pg.createDatabase("pgbench_tx");

            TransactionLoad.Result peak;
            String serviceCpu;
            java.util.List<String> statements;
            try (CartService cart = CartService.external(root, work.resolve("cart-service.log"), pg.serviceUrl("relance_cart"),
                    Map.of("RELANCE_CART_SWEEP_INTERVAL", "off", "RELANCE_CART_PURGE_INTERVAL", "off"))) {
                cart.awaitReady(Duration.ofSeconds(90));
                try (TransactionService service = TransactionService.start(root, work.resolve("transaction-service.log"),
                        pg.serviceUrl("relance_transaction"), cart.port())) {
                    long ready = service.awaitReady(Duration.ofSeconds(90));
                    System.out.printf("bench: transaction service ready in %.2f s (pid %d, port %d)%n", ready / 1e9,
                            service.pid(), service.port());
                    TransactionService.createStore(cart, STORE);
                    ManagedChannel channel = service.channel();
                    try {
                        TransactionLoad load = new TransactionLoad(channel, STORE, "g" + System.currentTimeMillis());
                        pg.execute("postgres", "SELECT pg_stat_statements_reset()");
                        System.out.printf("bench: closed loop, %d RecordTransaction calls in flight, %d s warm-up + %d s%n",
                                concurrency, warmupSeconds, seconds);
                        CpuMonitor.awaitQuiet("the transactions run");
                        try (CpuMonitor cpu = new CpuMonitor(groups(pg, service.pid(), cart.pid()))) {
                            peak = load.closedLoop(concurrency, warmupSeconds * 1000L, seconds * 1000L);
                            cpu.close();
                            serviceCpu = cpu.describe();
                        }
                        System.out.println("bench: service: " + peak.describe());
                        System.out.println("bench: CPU (cores) " + serviceCpu);
                        statements = SubmitsScenario.statementStats(pg, "relance_transaction");
                        statements.forEach(s -> System.out.println("  " + s));
                    } finally {
                        TransactionService.shutdown(channel);
                    }
                }
            }

            // pgbench with the same SQL, on a database with the same schema.
            TransactionService.applyMigrations(root, pg, "pgbench_tx");
            pg.execute("postgres", "SELECT pg_stat_statements_reset()");
            String script = TransactionSql.script(STORE);
            System.out.printf("bench: pgbench, one RecordTransaction per transaction, -c %d -j %d -T %d -M prepared%n",
                    pgbenchClients, pgbenchThreads, seconds);
            Pgbench.Result r;
            String pgbenchCpu;
            CpuMonitor.awaitQuiet("pgbench");
            try (CpuMonitor cpu = new CpuMonitor(Map.of("postgres", () -> Procs.tree(pg.pid()),
                    "pgbench", () -> ProcessHandle.current().children()
                            .filter(p -> p.info().command().orElse("").endsWith("pgbench")).map(ProcessHandle::pid).toList()))) {
                r = Pgbench.run(pg, "pgbench_tx", work.resolve("record.sql"), script, pgbenchClients, pgbenchThreads, seconds, 1);
                cpu.close();
                pgbenchCpu = cpu.describe();
            }
            if (r.failed() > 0) {
                throw new IllegalStateException("pgbench had failed transactions:\n" + r.output());
            }
            System.out.printf("bench: pgbench: %.0f transactions/s, latency average %.2f ms%n", r.tps(), r.latencyMillis());
            checkRows(pg, r.transactions());
            System.out.println("bench: statements of the pgbench run (pg_stat_statements):");
            SubmitsScenario.statementStats(pg, "pgbench_tx").forEach(x -> System.out.println("  " + x));

            double service = peak.perSecond();
            report.row(String.format("RecordTransaction/s, gRPC, 3 items, no cart, %d in flight (%d failed)", concurrency, peak.failed()),
                    String.format("%,.0f", service), String.format("%,.0f (pgbench -c %d -j %d)", r.tps(), pgbenchClients, pgbenchThreads),
                    Report.ratio(service / r.tps()), "-", null);
            report.row("latency, p50 / p99", Report.ms(peak.percentileMillis(50)) + " / " + Report.ms(peak.percentileMillis(99)),
                    String.format("pgbench average per transaction: %.2f ms", r.latencyMillis()), "-", "-", null);
            report.note(String.format("Service: p99.9 %.2f ms; %,d transactions in the %d s window (%d s warm-up before).",
                    peak.percentileMillis(99.9), peak.ok(), seconds, warmupSeconds));
            report.note("CPU (cores) during the service run: " + serviceCpu + "; during pgbench: " + pgbenchCpu + ".");
            report.note("RecordTransaction = a new transaction id, a contact id (so the suppression check runs), 3 items, no cart "
                    + "(no pending conversion, the cart service is not called per transaction). pgbench runs the same statements "
                    + "(BEGIN, advisory lock, suppression check, existing transaction FOR UPDATE, transaction insert via unnest, "
                    + "3 items via unnest, event append with pg_notify, COMMIT) with -M prepared.");
            report.note("Statements of the service's run (pg_stat_statements, calls, rows, mean ms):");
            statements.forEach(s -> report.note("  " + s));
        }
        return report;
    }

    private static Map<String, java.util.function.Supplier<java.util.List<Long>>> groups(Postgres pg, long service, long cart) {
        Map<String, java.util.function.Supplier<java.util.List<Long>>> g = new java.util.LinkedHashMap<>();
        g.put("postgres", () -> Procs.tree(pg.pid()));
        g.put("service", () -> java.util.List.of(service));
        g.put("cart", () -> java.util.List.of(cart));
        g.put("load", () -> java.util.List.of(ProcessHandle.current().pid()));
        return g;
    }

    /** pgbench wrote what it claims: one transaction, 3 items and one event per transaction. */
    private static void checkRows(Postgres pg, long expected) {
        try (Connection c = pg.connect("pgbench_tx"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM shop_transaction), "
                     + "(SELECT count(*) FROM shop_transaction_item), (SELECT count(*) FROM transaction_event)")) {
            rs.next();
            if (rs.getLong(1) < expected || rs.getLong(2) < 3 * expected || rs.getLong(3) < expected) {
                throw new IllegalStateException("pgbench database has " + rs.getLong(1) + " transactions, " + rs.getLong(2)
                        + " items, " + rs.getLong(3) + " events; expected " + expected + " transactions");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
