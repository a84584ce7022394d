package org.relance.bench;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.kit.db.Sql;
import org.relance.kit.grpc.BearerToken;

/**
 * A million idle active carts marked abandoned: by the service's sweeper (started with a 1 s
 * interval), by the sweeper's own statement run in chunks from here, and by one plain UPDATE
 * without events (the baseline). Each run gets its own copy of one prepared database.
 */
final class SweepScenario {
    static final String STORE = "sweep";
    private static final String TEMPLATE = "sweep_template";

    /** CartRepository.sweep with service-kit EventLog's counter CTE and notify for cart_event: $1 store, $2 cutoff, $3 now, $4 limit. */
    static final String SWEEP = """
            WITH due AS (
                SELECT store_id, cart_id FROM cart
                WHERE store_id = $1 AND state = 1 AND update_time < $2
                ORDER BY update_time LIMIT $4 FOR UPDATE SKIP LOCKED
            ), marked AS (
                UPDATE cart c SET state = 2, episode = c.episode + 1, abandon_time = $3
                FROM due WHERE c.store_id = due.store_id AND c.cart_id = due.cart_id
                RETURNING c.*
            ), n AS (
                SELECT count(*) AS k FROM marked
            ), counter AS (UPDATE event_counter SET value = value + n.k FROM n WHERE name = 'cart_event' AND n.k > 0 RETURNING value - n.k AS base), inserted AS (
                INSERT INTO cart_event (sequence, event_type, occur_time, store_id, cart_id, cart)
                SELECT counter.base + row_number() OVER (), 3, $3, m.store_id, m.cart_id,
                       jsonb_set(to_jsonb(m), '{items}', '[]'::jsonb)
                FROM marked m, counter
                RETURNING sequence
            )
            SELECT count(*) AS marked FROM inserted, pg_notify('cart_event', '')
            """;

    /** AbandonmentSweeper's lock. */
    private static final long LOCK = Sql.lockKey("relance.cart.abandonment-sweeper");

    private final Path work;
    private final Path root = Bench.root();
    private final int carts = Bench.intProp("bench.sweep.carts", 1_000_000);
    private final List<Integer> serviceChunks = Bench.intListProp("bench.sweep.chunks", "20000,100000");
    private final List<Integer> sqlChunks = Bench.intListProp("bench.sweep.sql-chunks", "20000");
    private final int timeoutSeconds = Bench.intProp("bench.sweep.timeout", 240);
    private final double goalSeconds = 5;

    SweepScenario(Path work) {
        this.work = work;
    }

    Report run() {
        Report report = new Report("sweep");
        try (Postgres pg = Postgres.start(work)) {
            System.out.println("bench: " + pg.version() + " on port " + pg.port());
            prepareTemplate(pg);

            int copy = 0;
            String db = "sweep_" + copy++;
            pg.copyDatabase(TEMPLATE, db);
            CpuMonitor.awaitQuiet("the plain UPDATE");
            double plain = plainUpdate(pg, db);
            pg.dropDatabase(db);
            System.out.printf("bench: plain UPDATE of %,d carts (no events): %.2f s%n", carts, plain);

            Map<Integer, Double> direct = new LinkedHashMap<>();
            List<String> skipped = new ArrayList<>();
            for (int chunk : sqlChunks) {
                if (Bench.secondsLeft() < 90) {
                    skipped.add("the sweeper statement from JDBC, chunk " + chunk);
                    continue;
                }
                db = "sweep_" + copy++;
                pg.copyDatabase(TEMPLATE, db);
                CpuMonitor.awaitQuiet("the sweeper statement");
                direct.put(chunk, sweeperSql(pg, db, chunk));
                pg.dropDatabase(db);
                System.out.printf("bench: the sweeper's statement from JDBC, chunks of %,d: %.2f s%n", chunk, direct.get(chunk));
            }

            Map<Integer, double[]> service = new LinkedHashMap<>();
            for (int chunk : serviceChunks) {
                if (Bench.secondsLeft() < 90) {
                    skipped.add("the service's sweep, chunk " + chunk);
                    continue;
                }
                db = "sweep_" + copy++;
                pg.copyDatabase(TEMPLATE, db);
                CpuMonitor.awaitQuiet("the service's sweep");
                service.put(chunk, serviceSweep(pg, db, chunk));
                pg.dropDatabase(db);
            }

            for (Map.Entry<Integer, double[]> e : service.entrySet()) {
                double seconds = e.getValue()[0];
                boolean finished = e.getValue()[1] == 0;
                report.row(String.format("service sweeper, %,d carts, chunk %,d%s", carts, e.getKey(), finished ? "" : " (UNFINISHED)"),
                        Report.s(seconds), Report.s(plain) + " (one plain UPDATE, no events)", Report.ratio(seconds / plain),
                        "< " + (int) goalSeconds + " s", finished && seconds < goalSeconds);
            }
            for (Map.Entry<Integer, Double> e : direct.entrySet()) {
                report.row(String.format("sweeper statement from JDBC, chunk %,d", e.getKey()), Report.s(e.getValue()),
                        Report.s(plain), Report.ratio(e.getValue() / plain), "-", null);
            }
            if (!skipped.isEmpty()) {
                report.note("Skipped for lack of time (bench.deadline): " + String.join(", ", skipped) + ".");
            }
            report.note(String.format("%,d active carts (2 items each, a visitor id, unchanged for 2 h) in one store whose "
                    + "abandonment delay is 60 min; every run on its own file copy of one prepared, vacuumed database.", carts));
            report.note("Service: started with RELANCE_CART_SWEEP_INTERVAL=1s and RELANCE_CART_SWEEP_CHUNK; timed from the start of "
                    + "the first sweeper transaction (pg_stat_activity.xact_start) until the event counter reached the number of "
                    + "carts, then checked that no active cart is left. Each marked cart also gets an ABANDONED event row.");
        }
        return report;
    }

    private void prepareTemplate(Postgres pg) {
        pg.createDatabase(TEMPLATE);
        // The service migrates the database and creates the store, then stops.
        try (CartService service = CartService.external(root, work.resolve("cart-service-migrate.log"), pg.serviceUrl(TEMPLATE),
                Map.of("RELANCE_CART_SWEEP_INTERVAL", "off", "RELANCE_CART_PURGE_INTERVAL", "off"))) {
            service.awaitReady(Duration.ofSeconds(90));
            ManagedChannel channel = service.channel();
            try {
                StoreServiceGrpc.newBlockingStub(channel).withCallCredentials(new BearerToken(CartService.TOKEN))
                        .withDeadlineAfter(30, TimeUnit.SECONDS)
                        .createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder()
                                .setStoreId(STORE).setDisplayName("Sweep").setCurrencyCode("EUR")
                                .setTimeZone("Europe/Paris")).build());
            } finally {
                channel.shutdownNow();
            }
        }
        long start = System.nanoTime();
        try (Connection c = pg.connect(TEMPLATE); Statement s = c.createStatement()) {
            // Secondary indexes are dropped for the load and built again from their own definitions (faster than
            // a million index inserts); the table ends exactly as the migrations made it.
            List<String> indexes = new ArrayList<>();
            List<String> names = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cart' "
                    + "AND indexname NOT IN (SELECT conname FROM pg_constraint)")) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                    indexes.add(rs.getString(2));
                }
            }
            for (String name : names) {
                s.execute("DROP INDEX " + name);
            }
            s.execute("SET maintenance_work_mem = '1GB'");
            s.execute("INSERT INTO cart (store_id, cart_id, site_id, visitor_id, contact_id, state, status, total_price, "
                    + "currency_code, items, episode, recovered, outcome, transaction_id, create_time, update_time, "
                    + "abandon_time, convert_time) "
                    + "SELECT '" + STORE + "', 'c' || g, NULL, 'v' || g, NULL, 1, NULL, 59.97, 'EUR', '"
                    + SubmitSql.ITEMS_JSON + "'::jsonb, 0, false, NULL, NULL, t, t, NULL, NULL "
                    + "FROM generate_series(1, " + carts + ") g, "
                    + "LATERAL (SELECT now() - interval '2 hours' - g * interval '1 millisecond' AS t) x");
            for (String index : indexes) {
                s.execute(index);
            }
            s.execute("VACUUM (FREEZE, ANALYZE) cart");
            s.execute("CHECKPOINT");
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        System.out.printf("bench: %,d carts loaded, indexed and vacuumed in %.1f s%n", carts, (System.nanoTime() - start) / 1e9);
    }

    /** The baseline: one UPDATE of the same rows and columns, no events. */
    private double plainUpdate(Postgres pg, String db) {
        try (Connection c = pg.connect(db); Statement s = c.createStatement();
             CpuMonitor cpu = new CpuMonitor(Map.of("postgres", () -> Procs.tree(pg.pid())))) {
            long start = System.nanoTime();
            int n = s.executeUpdate("UPDATE cart SET state = 2, episode = episode + 1, abandon_time = now() "
                    + "WHERE store_id = '" + STORE + "' AND state = 1 AND update_time < now() - interval '3600 seconds'");
            double seconds = (System.nanoTime() - start) / 1e9;
            cpu.close();
            System.out.println("bench: CPU (cores) " + cpu.describe());
            if (n != carts) {
                throw new IllegalStateException("plain UPDATE changed " + n + " carts, expected " + carts);
            }
            return seconds;
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** The sweeper's statement in its own transactions of {@code chunk} carts, as AbandonmentSweeper runs it. */
    private double sweeperSql(Postgres pg, String db, int chunk) {
        Instant now = Instant.now();
        Instant cutoff = now.minusSeconds(3600);
        String sql = SubmitSql.bind(SWEEP, "'" + STORE + "'", "'" + cutoff + "'::timestamptz", "'" + now + "'::timestamptz",
                Integer.toString(chunk));
        try (Connection c = pg.connect(db); Statement s = c.createStatement();
             CpuMonitor cpu = new CpuMonitor(Map.of("postgres", () -> Procs.tree(pg.pid())))) {
            c.setAutoCommit(false);
            long start = System.nanoTime();
            long total = 0;
            while (true) {
                try (ResultSet rs = s.executeQuery("SELECT pg_try_advisory_xact_lock(" + LOCK + ") AS mine")) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        throw new IllegalStateException("sweeper lock taken");
                    }
                }
                long marked;
                try (ResultSet rs = s.executeQuery(sql)) {
                    marked = rs.next() ? rs.getLong(1) : 0;
                }
                c.commit();
                total += marked;
                if (marked < chunk) {
                    break;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            cpu.close();
            System.out.println("bench: CPU (cores) " + cpu.describe());
            if (total != carts) {
                throw new IllegalStateException("sweeper statement marked " + total + " carts, expected " + carts);
            }
            return seconds;
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** The service's own sweeper; returns {seconds, carts left active}. */
    private double[] serviceSweep(Postgres pg, String db, int chunk) {
        Map<String, String> env = Map.of("RELANCE_CART_SWEEP_INTERVAL", "1s", "RELANCE_CART_SWEEP_CHUNK", Integer.toString(chunk),
                "RELANCE_CART_PURGE_INTERVAL", "off");
        try (Connection c = pg.connect(db); Statement s = c.createStatement();
             CartService service = CartService.external(root, work.resolve("cart-service-sweep-" + chunk + ".log"),
                     pg.serviceUrl(db), env)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(30, Math.min(timeoutSeconds, Bench.secondsLeft() - 15)));
            long start = -1;
            while (start < 0 && System.nanoTime() < deadline) {
                try (ResultSet rs = s.executeQuery("SELECT extract(epoch FROM clock_timestamp() - xact_start) FROM pg_stat_activity "
                        + "WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%WITH due AS%' "
                        + "AND xact_start IS NOT NULL ORDER BY xact_start LIMIT 1")) {
                    if (rs.next()) {
                        start = System.nanoTime() - (long) (rs.getDouble(1) * 1e9);
                    }
                }
                if (start < 0) {
                    Postgres.sleep(5);
                }
            }
            if (start < 0) {
                throw new IllegalStateException("the service's sweeper did not start within " + timeoutSeconds + " s:\n"
                        + Procs.tail(service.log(), 30));
            }
            Map<String, java.util.function.Supplier<List<Long>>> groups = new LinkedHashMap<>();
            groups.put("postgres", () -> Procs.tree(pg.pid()));
            groups.put("service", () -> List.of(service.pid()));
            CpuMonitor cpu = new CpuMonitor(groups);
            long end = -1;
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = s.executeQuery("SELECT value FROM event_counter WHERE name = 'cart_event'")) {
                    rs.next();
                    if (rs.getLong(1) >= carts) {
                        end = System.nanoTime();
                        break;
                    }
                }
                Postgres.sleep(20);
            }
            double seconds = ((end < 0 ? System.nanoTime() : end) - start) / 1e9;
            cpu.close();
            System.out.println("bench: CPU (cores) " + cpu.describe());
            long left;
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM cart WHERE state = 1")) {
                rs.next();
                left = rs.getLong(1);
            }
            System.out.printf("bench: service sweeper, chunks of %,d: %.2f s from its first transaction%s%n", chunk, seconds,
                    left == 0 ? "" : String.format(" and still %,d active carts (gave up)", left));
            return new double[] {seconds, left};
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
