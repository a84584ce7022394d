package org.relance.bench;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Time from process start to /q/health/ready answering 200, and resident memory after idling,
 * of the cart service on an external PostgreSQL and with its embedded one; the baseline is a
 * bare JVM printing a line.
 */
final class StartupScenario {
    private final Path work;
    private final Path root = Bench.root();
    private final int runs = Bench.intProp("bench.startup.runs", 5);
    private final int idleSeconds = Bench.intProp("bench.startup.idle", 10);
    /** Memory is read after idling on this many restarts of each kind, from the second start on (each costs the idle time). */
    private final int rssRuns = Bench.intProp("bench.startup.rss-runs", 2);
    private final double goalSeconds = 3;
    private final double goalMegabytes = 200;

    StartupScenario(Path work) {
        this.work = work;
    }

    /** One start: seconds to ready, RSS of the JVM, of the postmaster, PSS of all its PostgreSQL processes (MB). */
    record Start(double seconds, double jvmMb, double postmasterMb, double postgresPssMb) {
        boolean hasMemory() {
            return jvmMb > 0;
        }
    }

    Report run() {
        Report report = new Report("startup");
        List<String> jvm = jvmOptions();

        // Baseline: a bare JVM.
        List<Double> hello = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            List<String> command = new ArrayList<>(jvm);
            command.addAll(List.of("-cp", benchClasspath(), Hello.class.getName()));
            long start = System.nanoTime();
            Procs.Outcome o = Procs.run(60, command);
            hello.add((System.nanoTime() - start) / 1e9);
            if (o.exitCode() != 0) {
                throw new IllegalStateException("bare JVM failed: " + o.output());
            }
        }
        double helloRss = bareJvmRss(jvm);
        System.out.printf("bench: bare JVM: %s s to exit; %.0f MB RSS idle%n", list(hello), helloRss);

        List<Start> external = new ArrayList<>();
        try (Postgres pg = Postgres.start(work)) {
            pg.createDatabase("startup");
            System.out.println("bench: " + pg.version() + " on port " + pg.port());
            for (int i = 1; i <= runs; i++) {
                if (Bench.secondsLeft() < 30 + idleSeconds) {
                    report.note("External PostgreSQL: starts " + i + "–" + runs + " skipped for lack of time (bench.deadline).");
                    break;
                }
                CpuMonitor.awaitQuiet("start " + i);
                try (CartService s = CartService.external(root, work.resolve("cart-service-external-" + i + ".log"),
                        pg.serviceUrl("startup"), Map.of())) {
                    external.add(measure(s, i >= 2 && i < 2 + rssRuns));
                }
                System.out.printf("bench: external PostgreSQL, start %d: %.2f s to ready%s%n", i, external.get(i - 1).seconds(),
                        external.get(i - 1).hasMemory() ? String.format(", %.0f MB RSS after %d s idle", external.get(i - 1).jvmMb(), idleSeconds) : "");
            }
        }

        List<Start> embedded = new ArrayList<>();
        Path data = work.resolve("embedded-data");
        for (int i = 1; i <= runs; i++) {
            if (Bench.secondsLeft() < 30 + idleSeconds) {
                report.note("Embedded PostgreSQL: starts " + i + "–" + runs + " skipped for lack of time (bench.deadline).");
                break;
            }
            CpuMonitor.awaitQuiet("start " + i);
            try (CartService s = CartService.embedded(root, work.resolve("cart-service-embedded-" + i + ".log"), data, Map.of())) {
                embedded.add(measure(s, i >= 2 && i < 2 + rssRuns));
            }
            Start st = embedded.get(i - 1);
            System.out.printf("bench: embedded PostgreSQL, start %d: %.2f s to ready%s%n", i, st.seconds(), st.hasMemory()
                    ? String.format(", JVM %.0f MB RSS, postmaster %.0f MB RSS, PostgreSQL processes %.0f MB PSS after %d s idle",
                            st.jvmMb(), st.postmasterMb(), st.postgresPssMb(), idleSeconds) : "");
        }

        double helloMedian = median(hello);
        if (!external.isEmpty()) {
            row(report, "ready, external PostgreSQL, first start (migrates an empty database)", external.get(0).seconds(), helloMedian);
        }
        if (external.size() > 1) {
            row(report, "ready, external PostgreSQL, restart (median of starts 2–" + external.size() + ")",
                    median(tail(external, Start::seconds)), helloMedian);
        }
        if (!embedded.isEmpty()) {
            row(report, "ready, embedded PostgreSQL, first start (initdb + migrations)", embedded.get(0).seconds(), helloMedian);
        }
        if (embedded.size() > 1) {
            row(report, "ready, embedded PostgreSQL, restart (median of starts 2–" + embedded.size() + ")",
                    median(tail(embedded, Start::seconds)), helloMedian);
        }
        List<Start> externalMemory = external.stream().filter(Start::hasMemory).toList();
        List<Start> embeddedMemory = embedded.stream().filter(Start::hasMemory).toList();
        if (!externalMemory.isEmpty()) {
            double rss = median(all(externalMemory, Start::jvmMb));
            report.row("idle RSS after " + idleSeconds + " s, external PostgreSQL (median of " + externalMemory.size()
                            + " restarts)", mb(rss), mb(helloRss) + " (bare JVM)", Report.ratio(rss / helloRss),
                    "< " + (int) goalMegabytes + " MB", rss < goalMegabytes);
        }
        if (!embeddedMemory.isEmpty()) {
            double rss = median(all(embeddedMemory, Start::jvmMb));
            report.row("idle RSS after " + idleSeconds + " s, embedded PostgreSQL, service JVM (median of "
                            + embeddedMemory.size() + " restarts)", mb(rss), mb(helloRss) + " (bare JVM)", Report.ratio(rss / helloRss),
                    "< " + (int) goalMegabytes + " MB", rss < goalMegabytes);
            report.row("  embedded: postmaster RSS / PSS of all its processes (median)",
                    mb(median(all(embeddedMemory, Start::postmasterMb))) + " / " + mb(median(all(embeddedMemory, Start::postgresPssMb))),
                    "-", "-", "-", null);
        }
        report.note("Seconds to ready, external: " + list(all(external, Start::seconds)) + "; embedded: "
                + list(all(embedded, Start::seconds)) + "; bare JVM to exit: " + list(hello) + ".");
        report.note("The service runs as the local deployment runs it: java " + String.join(" ", jvm.subList(1, jvm.size()))
                + " -jar cart-service/target/quarkus-app/quarkus-run.jar; the bare JVM has the same options. Memory is read after "
                + idleSeconds + " s idle on starts 2 to " + (1 + rssRuns) + " of each kind.");
        return report;
    }

    private Start measure(CartService s, boolean memory) {
        double seconds = s.awaitReady(Duration.ofSeconds(120)) / 1e9;
        if (!memory) {
            return new Start(seconds, 0, 0, 0);
        }
        Postgres.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
        double jvm = Procs.rssKb(s.pid()) / 1024.0;
        OptionalLong postmaster = s.postmasterPid();
        double pmRss = 0;
        double pgPss = 0;
        if (postmaster.isPresent()) {
            pmRss = Procs.rssKb(postmaster.getAsLong()) / 1024.0;
            for (long pid : Procs.tree(postmaster.getAsLong())) {
                pgPss += Math.max(0, Procs.pssKb(pid)) / 1024.0;
            }
        }
        return new Start(seconds, jvm, pmRss, pgPss);
    }

    private void row(Report report, String what, double seconds, double baseline) {
        report.row(what, Report.s(seconds), Report.s(baseline) + " (bare JVM, to exit)", Report.ratio(seconds / baseline),
                "< " + (int) goalSeconds + " s", seconds < goalSeconds);
    }

    /** RSS of a bare JVM after idling as long as the services do. */
    private double bareJvmRss(List<String> jvm) {
        List<String> command = new ArrayList<>(jvm);
        command.addAll(List.of("-cp", benchClasspath(), Hello.class.getName(), Integer.toString(idleSeconds + 30)));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                Postgres.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
                return Procs.rssKb(p.pid()) / 1024.0;
            } finally {
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> jvmOptions() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String opt : System.getProperty("bench.service.jvm", "-Xmx256m").trim().split("\\s+")) {
            if (!opt.isEmpty()) {
                command.add(opt);
            }
        }
        return command;
    }

    private static String benchClasspath() {
        try {
            return Path.of(Hello.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Double> all(List<Start> starts, java.util.function.ToDoubleFunction<Start> f) {
        return starts.stream().map(s -> f.applyAsDouble(s)).toList();
    }

    private static List<Double> tail(List<Start> starts, java.util.function.ToDoubleFunction<Start> f) {
        List<Double> all = all(starts, f);
        return all.size() > 1 ? all.subList(1, all.size()) : all;
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String mb(double v) {
        return String.format("%.0f MB", v);
    }

    private static String list(List<Double> values) {
        return String.join(", ", values.stream().map(v -> String.format("%.2f", v)).toList());
    }
}
