package org.relance.edge.chaos;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.relance.api.cart.v1.CreateSiteRequest;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.edge.chaos.Topology.Service;
import org.relance.edge.chaos.TrackerLoad.ExpectedCart;
import org.relance.edge.chaos.TrackerLoad.ExpectedTransaction;
import org.relance.edge.support.Services;
import org.relance.kit.grpc.BearerToken;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chaos run shared by the short pass ({@link ChaosProcessIT}) and the long one
 * ({@link ChaosLongProcessIT}): start the topology, put a steady tracker load through the edge,
 * inject the plan's faults one after the other (each lifted, then waited out until the whole
 * path acknowledges writes again, with no manual step), drain the load, and audit what is
 * stored against what was acknowledged. The figures go to {@code target/chaos/} and stdout.
 */
abstract class ChaosSuite {
    /** How long the sweeper waits before a cart counts as abandoned: short, so that facts have abandoned carts to count. */
    private static final int ABANDONMENT_SECONDS = 5;
    /** The services read from this on a readiness check while the database is away. */
    private static final List<Service> READINESS_WITNESSES = List.of(Service.CART, Service.SEGMENT);

    /** What is done to the topology, and undone. */
    interface Action {
        void run(Topology topology) throws Exception;
    }

    /** One fault: injected, held for {@code hold}, lifted. */
    record Fault(String name, Duration hold, Action inject, Action lift, boolean databaseAway) {
    }

    /** A run: the load's rate, and the faults with calm periods around them. */
    record Plan(String name, int batchesPerSecond, int visitors, Duration warmUp, Duration calm, List<Fault> faults) {
    }

    /** What one fault showed. */
    record FaultReport(String name, double atSeconds, double holdSeconds, double liftSeconds, double readyAfterSeconds,
                       double acknowledgedAfterSeconds, String readiness, boolean readinessDropped, boolean recovered) {
    }

    static Fault kill(Service service) {
        return new Fault("kill -9 " + service.label(), Duration.ofSeconds(2), t -> t.kill(service), t -> t.restart(service), false);
    }

    static Fault postgresRestart(Duration away) {
        return new Fault("PostgreSQL restart", away, Topology::stopPostgres, Topology::startPostgres, true);
    }

    static Fault proxyCut(Duration hold) {
        return new Fault("proxy cut " + hold.toSeconds() + " s", hold, t -> t.proxy().cut(), t -> t.proxy().heal(), true);
    }

    static Fault proxyStall(Duration hold) {
        return new Fault("proxy stall " + hold.toSeconds() + " s", hold, t -> t.proxy().stall(), t -> t.proxy().heal(), true);
    }

    static Fault proxyLatency(long millis, Duration hold) {
        return new Fault("proxy latency " + millis + " ms for " + hold.toSeconds() + " s", hold,
                t -> t.proxy().latency(millis), t -> t.proxy().heal(), false);
    }

    private long t0;

    private double since(long nanos) {
        return (nanos - t0) / 1e9;
    }

    private void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[chaos %6.1fs] %s%n", since(System.nanoTime()), String.format(Locale.ROOT, format, args));
    }

    void run(Plan plan) throws Exception {
        t0 = System.nanoTime();
        Path root = Path.of("target", "chaos", plan.name + "-" + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
        List<FaultReport> faults = new ArrayList<>();
        try (Topology topology = new Topology(root)) {
            topology.start();
            double startedAfter = since(System.nanoTime());
            log("PostgreSQL, proxy (port %d) and four services ready", topology.proxy().port());
            String store = "chaos-" + UUID.randomUUID().toString().substring(0, 8);
            Site site = createSite(topology, store);
            Reminders reminders = new Reminders();
            reminders.prepare(topology, store, plan.visitors);
            long seed = Long.getLong("chaos.seed", System.nanoTime());
            TrackerLoad load = new TrackerLoad(topology.edgeBase(), site.getSiteKey(), plan.batchesPerSecond, plan.visitors, seed);
            try {
                load.start();
                Thread.sleep(plan.warmUp.toMillis());
                for (Fault fault : plan.faults) {
                    faults.add(inject(topology, load, fault));
                    load.phase("calm after " + fault.name);
                    Thread.sleep(plan.calm.toMillis());
                }
                load.phase("drain");
                load.stopProducing();
                long drainStart = System.nanoTime();
                while (!load.drained() && System.nanoTime() - drainStart < TimeUnit.SECONDS.toNanos(120)) {
                    Thread.sleep(200);
                }
                double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
                log("load stopped: %d batches, %d attempts, %d carts and %d purchases acknowledged, %d never (drained in %.1f s)",
                        load.batchesSent(), load.attempts(), load.acknowledgedCarts(), load.acknowledgedTransactions(),
                        load.unacknowledgedCount(), drainSeconds);
                verify(plan, topology, store, load, faults, seed, startedAfter, drainSeconds, root);
                verifyReminders(topology, reminders);
            } finally {
                load.close();
                reminders.close();
            }
        }
    }

    /**
     * Waits until the trigger has nothing left to send, then checks that no (cart, episode, step)
     * was reminded by two notifications.
     */
    private void verifyReminders(Topology topology, Reminders reminders) throws InterruptedException {
        long start = System.nanoTime();
        long pending = reminders.pending(topology);
        while (pending > 0 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(90)) {
            Thread.sleep(500);
            pending = reminders.pending(topology);
        }
        Reminders.Tally tally = reminders.tally();
        log("reminders: %d carts reminded by %d notifications in %d POSTs (%d repeated POSTs of one notification), "
                        + "%d still pending after %.1f s", tally.reminded(), tally.notifications(), tally.posts(),
                tally.posts() - tally.notifications(), pending, (System.nanoTime() - start) / 1e9);
        assertThat(tally.remindedTwice()).as("carts reminded twice for one episode and step").isEmpty();
        assertThat(pending).as("reminders still pending 90 s after the load").isZero();
        assertThat(tally.reminded()).as("abandoned carts reminded during the run").isPositive();
    }

    private Site createSite(Topology topology, String store) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", topology.port(Service.CART)).usePlaintext().build();
        try {
            StoreServiceGrpc.StoreServiceBlockingStub stores = StoreServiceGrpc.newBlockingStub(channel)
                    .withCallCredentials(new BearerToken(Services.TOKEN)).withDeadlineAfter(20, TimeUnit.SECONDS);
            stores.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder().setStoreId(store).setCurrencyCode("EUR")
                    .setTimeZone("UTC").setAbandonmentDelay(com.google.protobuf.Duration.newBuilder().setSeconds(ABANDONMENT_SECONDS))).build());
            return stores.createSite(CreateSiteRequest.newBuilder().setSite(Site.newBuilder().setSiteId(store + "-web").setStoreId(store)
                    .addAllowedOrigins("https://shop.chaos.example").setTrackingMode(TrackingMode.TRACKING_MODE_CARTS_AND_TRANSACTIONS)
                    .setRestoreUrl("https://shop.chaos.example/cart")).build()).getSite();
        } finally {
            channel.shutdownNow();
        }
    }

    /**
     * Injects the fault, holds it (watching readiness when the database is away), lifts it, then
     * waits until every service is ready and a fresh batch is acknowledged: the recovery time.
     */
    private FaultReport inject(Topology topology, TrackerLoad load, Fault fault) throws Exception {
        load.phase(fault.name);
        long injected = System.nanoTime();
        log("%s: injected (%d proxied connections open)", fault.name, topology.proxy().openConnections());
        fault.inject.run(topology);
        long holdEnd = injected + fault.hold.toNanos();
        List<String> readiness = new ArrayList<>();
        boolean dropped = !fault.databaseAway;
        if (fault.databaseAway) {
            Map<Service, java.util.Set<Integer>> seen = new java.util.EnumMap<>(Service.class);
            while (System.nanoTime() < holdEnd) {
                for (Service witness : READINESS_WITNESSES) {
                    seen.computeIfAbsent(witness, w -> new java.util.TreeSet<>()).add(topology.readiness(witness));
                }
                Thread.sleep(200);
            }
            // Only a real answer counts (503): a service that does not answer (-1) is not "not ready", it is gone.
            dropped = READINESS_WITNESSES.stream().allMatch(w -> seen.getOrDefault(w, java.util.Set.of()).stream()
                    .anyMatch(status -> status > 0 && status != 200));
            for (Service witness : READINESS_WITNESSES) {
                readiness.add(witness.label() + " " + seen.get(witness).stream().map(String::valueOf)
                        .collect(java.util.stream.Collectors.joining("/")));
            }
        } else {
            Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(holdEnd - System.nanoTime())));
        }
        long liftStart = System.nanoTime();
        fault.lift.run(topology);
        long liftEnd = System.nanoTime();
        long deadline = liftEnd + TimeUnit.SECONDS.toNanos(90);
        while (!topology.allReady() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        long readyAt = System.nanoTime();
        boolean allReady = topology.allReady();
        boolean acknowledged = false;
        while (allReady && !acknowledged && System.nanoTime() < deadline) {
            acknowledged = load.probe();
            if (!acknowledged) {
                Thread.sleep(100);
            }
        }
        long acknowledgedAt = System.nanoTime();
        if (!allReady || !acknowledged) {
            log("%s: not back after %.0f s: %s; logs in %s", fault.name, (System.nanoTime() - liftEnd) / 1e9,
                    topology.readinessSummary(), topology.logOf(Service.EDGE).getParent().getParent());
        }
        if (fault.databaseAway) {
            readiness.replaceAll(r -> r + " → " + (allReady ? "200" : "not ready"));
        }
        FaultReport report = new FaultReport(fault.name, since(injected), (liftStart - injected) / 1e9, (liftEnd - liftStart) / 1e9,
                (readyAt - liftStart) / 1e9, (acknowledgedAt - liftStart) / 1e9,
                fault.databaseAway ? String.join(", ", readiness) : "–", dropped, allReady && acknowledged);
        log("%s: lifted in %.1f s, all ready %.1f s and a fresh batch acknowledged %.1f s after the lift; readiness: %s",
                fault.name, report.liftSeconds, report.readyAfterSeconds, report.acknowledgedAfterSeconds, report.readiness);
        return report;
    }

    private void verify(Plan plan, Topology topology, String store, TrackerLoad load, List<FaultReport> faults, long seed,
                        double startedAfter, double drainSeconds, Path root) throws Exception {
        List<ExpectedCart> carts = load.carts().stream().filter(c -> c.acknowledged).toList();
        List<ExpectedTransaction> bought = load.transactions().stream().filter(t -> t.acknowledged).toList();
        try (Audit audit = new Audit(topology, store)) {
            audit.awaitSettled(carts, bought, Duration.ofSeconds(60));
            log("streams settled in %.1f s: %d cart events, %d transaction events", audit.settleSeconds, audit.cartEventCount(),
                    audit.transactionEventCount());
            audit.checkCartsAndTransactions(carts, bought);
            audit.checkFacts(carts);
            log("facts before %s, after rebuild (%.1f s) %s, expected %s", audit.factsBefore, audit.rebuildSeconds,
                    audit.factsAfterRebuild, audit.factsExpected);

            String report = ChaosReport.render(plan, faults, load, audit, seed, startedAfter, drainSeconds, since(System.nanoTime()));
            Files.createDirectories(root);
            Files.writeString(root.resolve("report.md"), report);
            Files.writeString(root.getParent().resolve(plan.name + "-latest.md"), report);
            System.out.println(report);

            assertThat(load.unexpectedAnswers()).as("answers other than 204/429/5xx to valid batches").isEmpty();
            assertThat(load.unacknowledgedCount()).as("batches still refused 120 s after the last fault (a service did not come back)").isZero();
            assertThat(faults).as("faults after which the whole path did not come back by itself within 90 s")
                    .allSatisfy(f -> assertThat(f.recovered()).as(f.name()).isTrue());
            assertThat(faults).as("faults with the database away during which a service stayed ready")
                    .allSatisfy(f -> assertThat(f.readinessDropped()).as(f.name() + ": " + f.readiness()).isTrue());
            assertThat(audit.findings).as("acknowledged submits lost, applied twice, stored wrong, or facts unlike a rebuild; see "
                    + root.resolve("report.md")).isEmpty();
            assertThat(audit.cartsChecked).as("acknowledged carts audited").isGreaterThan(plan.batchesPerSecond);
        }
    }
}
