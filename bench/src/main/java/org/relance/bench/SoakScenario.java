package org.relance.bench;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A soak: the cart service (started as {@code submits} starts it, on a seeded database) under an
 * open-loop load of fresh carts at half of its peak for {@code bench.soak.minutes}, after a warm-up.
 * Every minute: the service's RSS, its heap after GC, latency, submits acknowledged and failed, and
 * the database's size. The baseline is the run's own first minute; the verdict is whether memory
 * and latency stay flat.
 */
final class SoakScenario {
    private static final double MB = 1024.0 * 1024.0;
    private static final long SAMPLE_MILLIS = 5_000;

    private final Path work;
    private final Path root = Bench.root();
    private final int minutes = Bench.intProp("bench.soak.minutes", 30);
    private final int warmupSeconds = Bench.intProp("bench.soak.warmup", 60);
    private final double configuredRate = Bench.doubleProp("bench.soak.rate", 0);
    private final int peakWarmupSeconds = Bench.intProp("bench.warmup", 5);
    private final int peakSeconds = Bench.intProp("bench.duration", 20);
    private final int concurrency = Bench.intProp("bench.concurrency", 128);
    private final int channels = Bench.intProp("bench.channels", 2);
    private final double rssGoal = 1.10;
    private final double p99Goal = 2.0;

    SoakScenario(Path work) {
        this.work = work;
    }

    /** One reading of the service and the database, every {@link #SAMPLE_MILLIS}. */
    private record Sample(long nanos, long rssKb, double heapUsed, double liveData, double gcPauseSeconds, double gcPauses,
                          long databaseBytes) {
    }

    /** What one minute of the soak saw. */
    private record Minute(int number, SubmitLoad.Result load, long rssKb, double heapFloor, double liveData, double gcPauses,
                          double gcPauseMillis, long databaseBytes) {
    }

    Report run() {
        Report report = new Report("soak");
        try (Postgres pg = Postgres.start(work)) {
            System.out.println("bench: " + pg.version() + " on port " + pg.port() + " (data in " + work + ")");
            pg.createDatabase("relance_cart");
            try (CartService service = CartService.external(root, work.resolve("cart-service.log"), pg.serviceUrl("relance_cart"),
                    Map.of("RELANCE_CART_SWEEP_INTERVAL", "off", "RELANCE_CART_PURGE_INTERVAL", "off"))) {
                long ready = service.awaitReady(Duration.ofSeconds(90));
                System.out.printf("bench: cart service ready in %.2f s (pid %d, port %d)%n", ready / 1e9, service.pid(), service.port());
                List<ManagedChannel> chans = new ArrayList<>();
                for (int i = 0; i < channels; i++) {
                    chans.add(service.channel());
                }
                try {
                    SubmitsScenario.createStore(chans.get(0));
                    SubmitsScenario.seed(pg, "relance_cart");
                    SubmitLoad load = new SubmitLoad(chans, SubmitsScenario.STORE, "k" + System.currentTimeMillis());
                    soak(pg, service, load, report);
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
        }
        return report;
    }

    private void soak(Postgres pg, CartService service, SubmitLoad load, Report report) {
        double peak;
        String peakText;
        if (configuredRate > 0) {
            peak = configuredRate;
            peakText = String.format("%,.0f submits/s (bench.soak.rate)", peak);
        } else {
            System.out.printf("bench: peak first: closed loop, %d calls in flight on %d channels, %d s warm-up + %d s%n",
                    concurrency, channels, peakWarmupSeconds, peakSeconds);
            CpuMonitor.awaitQuiet("the peak run");
            SubmitLoad.Result r = load.closedLoop(concurrency, peakWarmupSeconds * 1000L, peakSeconds * 1000L);
            System.out.println("bench: service peak: " + r.describe());
            peak = r.perSecond();
            peakText = String.format("%,.0f submits/s measured in this run (closed loop, %d in flight, %d s; p99 %.2f ms, %d failed)",
                    peak, concurrency, peakSeconds, r.percentileMillis(99), r.failed());
        }
        double rate = peak / 2;
        int planned = minutes;
        // Room for the drain, closing the service and PostgreSQL, and the report.
        long room = Bench.secondsLeft() - warmupSeconds - 60;
        int run = (int) Math.min(planned, Math.max(2, room / 60));
        if (run < planned) {
            report.note(String.format("Only %d of the %d minutes asked for fitted before bench.deadline.", run, planned));
        }
        System.out.printf("bench: soak at half of peak, %,.0f submits/s open loop, %d s warm-up + %d minutes%n", rate, warmupSeconds, run);

        List<Sample> samples = new CopyOnWriteArrayList<>();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(1)).build();
        long loadStart = System.nanoTime();
        long first = loadStart + warmupSeconds * 1_000_000_000L;
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "soak-sampler");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(() -> {
            Sample s = sample(pg, service, http);
            samples.add(s);
            long intoSoak = s.nanos() - first;
            if (intoSoak >= 0 && intoSoak % 60_000_000_000L < SAMPLE_MILLIS * 1_000_000L) {
                System.out.printf("bench: soak minute %d begins: RSS %.0f MB, heap used %.0f MB, database %.0f MB%n",
                        intoSoak / 60_000_000_000L + 1, s.rssKb() / 1024.0, s.heapUsed() / MB, s.databaseBytes() / MB);
            }
        }, 0, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
        Instant soakFrom = Instant.now();
        List<SubmitLoad.Result> results;
        String cpuText;
        try (CpuMonitor cpu = new CpuMonitor(SubmitsScenario.groups(pg, service))) {
            results = load.openLoopWindows(rate, warmupSeconds * 1000L, run, 60_000, 20_000);
            cpu.close();
            cpuText = cpu.describe();
        } finally {
            sampler.shutdownNow();
            try {
                sampler.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        List<Minute> table = new ArrayList<>();
        Sample before = latestBefore(samples, first);
        for (int k = 0; k < results.size(); k++) {
            long from = first + k * 60_000_000_000L;
            long to = from + 60_000_000_000L;
            List<Sample> in = samples.stream().filter(s -> s.nanos() >= from && s.nanos() < to).toList();
            if (in.isEmpty()) {
                continue;
            }
            Sample last = in.get(in.size() - 1);
            double floor = in.stream().mapToDouble(Sample::heapUsed).filter(v -> !Double.isNaN(v)).min().orElse(Double.NaN);
            double pauses = before == null ? Double.NaN : last.gcPauses() - before.gcPauses();
            double pauseMillis = before == null ? Double.NaN : (last.gcPauseSeconds() - before.gcPauseSeconds()) * 1000;
            table.add(new Minute(k + 1, results.get(k), last.rssKb(), floor, last.liveData(), pauses, pauseMillis, last.databaseBytes()));
            before = last;
        }
        if (table.size() < 2) {
            throw new IllegalStateException("soak: fewer than two minutes measured");
        }
        Minute one = table.get(0);
        Minute end = table.get(table.size() - 1);

        // Verdicts. Heap: growing when the floor rose in every minute over the one before and ends 10% above minute 1.
        boolean rssFlat = end.rssKb() <= rssGoal * one.rssKb();
        boolean everRose = true;
        for (int i = 1; i < table.size(); i++) {
            everRose &= table.get(i).heapFloor() > table.get(i - 1).heapFloor();
        }
        boolean heapKnown = !Double.isNaN(one.heapFloor()) && !Double.isNaN(end.heapFloor());
        boolean heapFlat = heapKnown && !(everRose && end.heapFloor() > 1.10 * one.heapFloor());
        double p99One = one.load().percentileMillis(99);
        double p99End = end.load().percentileMillis(99);
        boolean latencyFlat = p99End <= p99Goal * p99One;
        long failed = table.stream().mapToLong(m -> m.load().failed()).sum();
        long dropped = table.stream().mapToLong(m -> m.load().dropped()).sum();
        long ok = table.stream().mapToLong(m -> m.load().ok()).sum();

        String last = "minute " + end.number() + " vs minute 1";
        report.row("service RSS, " + last, mb(end.rssKb() * 1024.0), mb(one.rssKb() * 1024.0),
                Report.ratio((double) end.rssKb() / one.rssKb()), "≤ " + rssGoal, rssFlat);
        report.row("heap after GC (lowest heap used in the minute), " + last, mb(end.heapFloor()), mb(one.heapFloor()),
                Report.ratio(end.heapFloor() / one.heapFloor()), "not growing minute over minute", heapKnown ? heapFlat : null);
        report.row("p99, " + last, Report.ms(p99End), Report.ms(p99One), Report.ratio(p99End / p99One), "≤ " + p99Goal + "×", latencyFlat);
        report.row("submits/s acknowledged, " + last, String.format("%,.0f", end.load().perSecond()),
                String.format("%,.0f", one.load().perSecond()), Report.ratio(end.load().perSecond() / one.load().perSecond()),
                "no failure or drop", failed == 0 && dropped == 0);
        report.row("database size, " + last, mb(end.databaseBytes()), mb(one.databaseBytes()),
                Report.ratio((double) end.databaseBytes() / one.databaseBytes()), "-", null);
        report.block(minuteTable(table, one));

        report.note(String.format("Verdict: memory %s, latency %s (%d minutes at %,.0f submits/s after %d s of warm-up; %,d acknowledged, "
                        + "%,d failed%s, %,d dropped).", rssFlat && heapFlat ? "flat" : "NOT flat", latencyFlat ? "flat" : "NOT flat",
                table.size(), rate, warmupSeconds, ok, failed, failed == 0 ? "" : " " + failures(table), dropped));
        report.note("Peak: " + peakText + "; the soak runs at half of it, an open loop of fresh carts (AddCart + 2 AddCartItem, new "
                + "cart and submit ids each), latency from when each call was due.");
        report.note(String.format("Heap after GC: %s; heap floor trend %+.2f MB per minute (least squares). Live data = "
                        + "Micrometer's jvm_gc_live_data_size_bytes (old generation after the last collection that shrank it).",
                heapKnown ? (heapFlat ? "not growing minute over minute" : "rose in every minute and ended over 10% above minute 1")
                        : "not available (/q/metrics did not answer)", slope(table)));
        report.note("CPU over the soak (cores): " + cpuText + ".");
        report.note("Service: -Xmx256m (bench.service.jvm), sweeper and purge off (as in submits); PostgreSQL seeded with "
                + String.format("%,d", Bench.intProp("bench.seed", 100_000)) + " carts before the start; soak started at " + soakFrom + ".");
    }

    private static Sample latestBefore(List<Sample> samples, long nanos) {
        Sample found = null;
        for (Sample s : samples) {
            if (s.nanos() < nanos) {
                found = s;
            }
        }
        return found;
    }

    private Sample sample(Postgres pg, CartService service, HttpClient http) {
        long now = System.nanoTime();
        long rss = Procs.rssKb(service.pid());
        double heap = Double.NaN;
        double live = Double.NaN;
        double pauseSum = Double.NaN;
        double pauseCount = Double.NaN;
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/q/metrics"))
                    .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                heap = 0;
                live = 0;
                pauseSum = 0;
                pauseCount = 0;
                for (String line : r.body().split("\n")) {
                    if (line.startsWith("#") || line.isBlank()) {
                        continue;
                    }
                    int space = line.lastIndexOf(' ');
                    double value;
                    try {
                        value = Double.parseDouble(line.substring(space + 1).trim());
                    } catch (NumberFormatException e) {
                        continue;
                    }
                    String key = line.substring(0, Math.max(0, space));
                    if (key.startsWith("jvm_memory_used_bytes{") && key.contains("area=\"heap\"")) {
                        heap += value;
                    } else if (key.startsWith("jvm_gc_live_data_size_bytes")) {
                        live = value;
                    } else if (key.startsWith("jvm_gc_pause_seconds_sum")) {
                        pauseSum += value;
                    } else if (key.startsWith("jvm_gc_pause_seconds_count")) {
                        pauseCount += value;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // reported as not available
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long dbBytes = -1;
        try (Connection c = pg.connect("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_database_size('relance_cart')")) {
            rs.next();
            dbBytes = rs.getLong(1);
        } catch (SQLException e) {
            // reported as -1
        }
        return new Sample(now, rss, heap, live, pauseSum, pauseCount, dbBytes);
    }

    private static String minuteTable(List<Minute> table, Minute one) {
        StringBuilder b = new StringBuilder();
        b.append("| minute | submits/s ok | failed | dropped | p50 | p99 | max | p99 vs min. 1 | RSS | RSS vs min. 1 | heap after GC "
                + "| live data | GC pauses (n, ms) | database |\n");
        b.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (Minute m : table) {
            SubmitLoad.Result r = m.load();
            double max = r.latencyMicros().getTotalCount() == 0 ? Double.NaN : r.latencyMicros().getMaxValue() / 1000.0;
            b.append(String.format("| %d | %,.0f | %d | %d | %.2f ms | %.2f ms | %.1f ms | %.2f | %s | %.2f | %s | %s | %.0f, %.0f | %s |%n",
                    m.number(), r.perSecond(), r.failed(), r.dropped(), r.percentileMillis(50), r.percentileMillis(99), max,
                    r.percentileMillis(99) / one.load().percentileMillis(99), mb(m.rssKb() * 1024.0),
                    (double) m.rssKb() / one.rssKb(), mb(m.heapFloor()), mb(m.liveData()), m.gcPauses(), m.gcPauseMillis(),
                    mb(m.databaseBytes())));
        }
        return b.toString();
    }

    private static String failures(List<Minute> table) {
        Map<String, Long> all = new java.util.TreeMap<>();
        table.forEach(m -> m.load().failures().forEach((k, v) -> all.merge(k, v, Long::sum)));
        return all.toString();
    }

    /** Least-squares slope of the heap floor, MB per minute. */
    private static double slope(List<Minute> table) {
        double n = 0;
        double sx = 0;
        double sy = 0;
        double sxy = 0;
        double sxx = 0;
        for (Minute m : table) {
            if (Double.isNaN(m.heapFloor())) {
                continue;
            }
            double x = m.number();
            double y = m.heapFloor() / MB;
            n++;
            sx += x;
            sy += y;
            sxy += x * y;
            sxx += x * x;
        }
        double d = n * sxx - sx * sx;
        return n < 2 || d == 0 ? Double.NaN : (n * sxy - sx * sy) / d;
    }

    private static String mb(double bytes) {
        return Double.isNaN(bytes) || bytes < 0 ? "n/a" : String.format("%.0f MB", bytes / MB);
    }
}
