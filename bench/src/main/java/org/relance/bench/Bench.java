package org.relance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Benchmarks of the cart service, each with a baseline measured in the same run:
 * {@code submits} (gRPC submits vs pgbench with the same SQL), {@code sweep} (the abandonment
 * sweeper on a million carts vs a plain UPDATE), {@code startup} (time to ready and idle memory
 * vs a bare JVM), {@code transactions} (gRPC RecordTransaction of the transaction service vs
 * pgbench with the same SQL), {@code import} (a million-product CSV through ImportRecords vs COPY),
 * {@code segments} (segment questions of the segment service on a million contacts vs plain SQL),
 * {@code pageviews-segments} (visited-URL questions on 10,000,000 page views vs plain SQL on the same
 * daily counts and on the raw views), {@code soak} (the cart service at half of its peak for
 * {@code bench.soak.minutes}, each minute against the first: memory and latency flat or not).
 * Only loopback; every process started is stopped at the end.
 *
 * <p>Settings are system properties ({@code -Dbench.duration=20} ...); see BENCHMARKS.md.
 */
public final class Bench {
    static final List<String> SCENARIOS = List.of("submits", "sweep", "startup", "transactions", "import", "segments", "edge", "pageviews", "triggers",
            "pageviews-segments");
    /** Run only when named (not by "all" or by default): {@code soak} takes 30 minutes by default. */
    static final List<String> ON_REQUEST = List.of("soak");

    static {
        // The service kit brings JBoss LogManager; set it before anything logs (else it complains).
        System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
    }

    private Bench() {
    }

    public static void main(String[] args) {
        List<String> chosen = new ArrayList<>();
        for (String a : args) {
            if (a.equals("all")) {
                chosen.addAll(SCENARIOS);
            } else if (SCENARIOS.contains(a) || ON_REQUEST.contains(a)) {
                chosen.add(a);
            } else {
                System.err.println("usage: java -jar relance-bench.jar [all|" + String.join("|", SCENARIOS) + "|" + String.join("|", ON_REQUEST) + "]...");
                System.exit(2);
            }
        }
        if (chosen.isEmpty()) {
            chosen.addAll(SCENARIOS);
        }
        System.out.printf("bench: root %s, %d cores, %s, %s%n", root(), Runtime.getRuntime().availableProcessors(),
                "JDK " + System.getProperty("java.version"), System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        int failures = 0;
        for (String scenario : chosen) {
            long start = System.nanoTime();
            System.out.println();
            System.out.println("== " + scenario);
            Path work = workDir(scenario);
            if (!Boolean.getBoolean("bench.keep")) {
                // Registered first, so closed last: after the services and PostgreSQL, also when the benchmark is stopped.
                Cleanup.register(new AutoCloseable() {
                    @Override
                    public void close() {
                        Procs.deleteTree(work);
                    }

                    @Override
                    public String toString() {
                        return "work folder " + work;
                    }
                });
            }
            CpuMonitor.resetQuietBudget(intProp("bench.quiet-budget", 15));
            double busy = CpuMonitor.machineBusyCores(2000);
            System.out.printf("bench: before the start, other processes kept %.2f cores busy%s%n", busy,
                    busy > 0.2 ? " (the machine is not quiet: figures will be lower)" : "");
            try {
                Report report = switch (scenario) {
                    case "submits" -> new SubmitsScenario(work).run();
                    case "sweep" -> new SweepScenario(work).run();
                    case "startup" -> new StartupScenario(work).run();
                    case "transactions" -> new TransactionsScenario(work).run();
                    case "import" -> new ImportScenario(work).run();
                    case "segments" -> new SegmentsScenario(work).run();
                    case "edge" -> new EdgeScenario(work).run();
                    case "pageviews" -> new EdgeScenario(work, true).run();
                    case "triggers" -> new TriggersScenario(work).run();
                    case "pageviews-segments" -> new PageViewSegmentsScenario(work).run();
                    case "soak" -> new SoakScenario(work).run();
                    default -> throw new IllegalArgumentException(scenario);
                };
                report.note(String.format("Machine: %d cores; other processes used %.2f cores in the 2 s before the scenario.",
                        Runtime.getRuntime().availableProcessors(), busy));
                report.publish(resultsDir());
            } catch (RuntimeException e) {
                failures++;
                System.out.println("bench: " + scenario + " FAILED: " + e);
                e.printStackTrace(System.out);
            } finally {
                Cleanup.closeAll();
                if (!Boolean.getBoolean("bench.keep")) {
                    Procs.deleteTree(work);
                } else {
                    System.out.println("bench: kept " + work);
                }
            }
            System.out.printf("== %s took %.0f s%n", scenario, (System.nanoTime() - start) / 1e9);
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    /** The project's root folder (the one holding cart-service/ and bench/). */
    static Path root() {
        String configured = System.getProperty("bench.root");
        if (configured != null) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        try {
            Path jar = Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // bench/target/relance-bench-*.jar or bench/target/classes
            Path candidate = jar.getParent().getParent().getParent();
            if (Files.isDirectory(candidate.resolve("cart-service"))) {
                return candidate;
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through
        }
        return Path.of("").toAbsolutePath();
    }

    static Path resultsDir() {
        return Path.of(System.getProperty("bench.results", root().resolve("bench/target/results").toString()));
    }

    private static Path workDir(String scenario) {
        try {
            return Files.createTempDirectory("relance-bench-" + scenario + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Seconds left before {@code bench.deadline} (epoch seconds, set by bench/run from its time
     * limit): a scenario skips the parts it has no time for and reports what it measured.
     */
    static long secondsLeft() {
        String deadline = System.getProperty("bench.deadline");
        return deadline == null ? Long.MAX_VALUE : Long.parseLong(deadline.trim()) - System.currentTimeMillis() / 1000;
    }

    static int intProp(String name, int defaultValue) {
        return Integer.parseInt(System.getProperty(name, Integer.toString(defaultValue)).trim());
    }

    static double doubleProp(String name, double defaultValue) {
        return Double.parseDouble(System.getProperty(name, Double.toString(defaultValue)).trim());
    }

    static List<Integer> intListProp(String name, String defaultValue) {
        List<Integer> out = new ArrayList<>();
        for (String s : System.getProperty(name, defaultValue).split(",")) {
            if (!s.isBlank()) {
                out.add(Integer.parseInt(s.trim()));
            }
        }
        return out;
    }
}
