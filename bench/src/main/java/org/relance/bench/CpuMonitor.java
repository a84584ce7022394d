package org.relance.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * CPU seconds used by groups of processes over a window, polled every 200 ms so that processes
 * that end inside the window (pgbench and its backends) still count, and the machine's busy
 * share over the same window (/proc/stat).
 */
final class CpuMonitor implements AutoCloseable {
    private final Map<String, Supplier<List<Long>>> groups;
    private final Map<String, Map<Long, long[]>> seen = new HashMap<>();
    private final long[] machineStart;
    private final long startNanos = System.nanoTime();
    private final Thread poller;
    private volatile boolean running = true;
    private long[] machineEnd;
    private long endNanos;

    /** {@code groups}: name to the pids that belong to it, asked again at every poll. */
    CpuMonitor(Map<String, Supplier<List<Long>>> groups) {
        this.groups = new LinkedHashMap<>(groups);
        this.groups.keySet().forEach(g -> seen.put(g, new HashMap<>()));
        this.machineStart = machine();
        poll(true);
        poller = new Thread(() -> {
            while (running) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
                poll(false);
            }
        }, "cpu-monitor");
        poller.setDaemon(true);
        poller.start();
    }

    private synchronized void poll(boolean first) {
        groups.forEach((name, pids) -> {
            Map<Long, long[]> known = seen.get(name);
            for (long pid : pids.get()) {
                long ticks = Procs.cpuTicks(pid);
                long[] entry = known.get(pid);
                if (entry == null) {
                    known.put(pid, new long[] {first ? ticks : 0, ticks});
                } else if (ticks >= entry[1]) {
                    entry[1] = ticks;
                }
            }
        });
    }

    /** Ends the window. */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        poller.interrupt();
        try {
            poller.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        poll(false);
        machineEnd = machine();
        endNanos = System.nanoTime();
    }

    double seconds() {
        return (endNanos - startNanos) / 1e9;
    }

    /** CPU seconds of a group over the window. */
    synchronized double cpuSeconds(String group) {
        long ticks = 0;
        for (long[] e : seen.get(group).values()) {
            ticks += e[1] - e[0];
        }
        return ticks / Procs.TICKS_PER_SECOND;
    }

    /** Busy CPU seconds of the whole machine over the window (all cores). */
    double machineBusySeconds() {
        return (machineEnd[0] - machineStart[0]) / Procs.TICKS_PER_SECOND;
    }

    /** Busy CPU seconds of processes outside every group (other work on the machine, the kernel). */
    double othersSeconds() {
        double ours = 0;
        for (String g : groups.keySet()) {
            ours += cpuSeconds(g);
        }
        return Math.max(0, machineBusySeconds() - ours);
    }

    /** Cores busy on the whole machine over {@code millis} (nothing of ours running): how quiet it is. */
    static double machineBusyCores(long millis) {
        long[] before = machine();
        long start = System.nanoTime();
        Postgres.sleep(millis);
        long[] after = machine();
        return (after[0] - before[0]) / Procs.TICKS_PER_SECOND / ((System.nanoTime() - start) / 1e9);
    }

    private static long quietBudgetNanos;

    /** Sets how long, in all, {@link #awaitQuiet} may wait during the current scenario. */
    static void resetQuietBudget(long seconds) {
        quietBudgetNanos = seconds * 1_000_000_000L;
    }

    /**
     * Before a measurement: waits while other processes keep more than 0.3 cores busy (this
     * machine is shared), within the scenario's budget (bench.quiet-budget, seconds). Returns
     * the busy cores seen last.
     */
    static double awaitQuiet(String what) {
        double busy = machineBusyCores(500);
        long start = System.nanoTime();
        boolean told = false;
        while (busy > 0.3 && quietBudgetNanos > 0) {
            if (!told) {
                System.out.printf("bench: other processes keep %.2f cores busy; waiting for a quieter moment before %s%n", busy, what);
                told = true;
            }
            busy = machineBusyCores(1000);
            long now = System.nanoTime();
            quietBudgetNanos -= now - start;
            start = now;
        }
        if (told) {
            System.out.printf("bench: %s with %.2f cores busy elsewhere%n", busy > 0.3 ? "going on" : "quiet enough", busy);
        }
        return busy;
    }

    /** "postgres 1.52 cores, service 0.31 cores, ... of 2 (machine busy 1.95)". */
    String describe() {
        double s = seconds();
        StringBuilder b = new StringBuilder();
        for (String g : groups.keySet()) {
            b.append(String.format("%s %.2f, ", g, cpuSeconds(g) / s));
        }
        b.append(String.format("other processes %.2f; machine busy %.2f of %d cores", othersSeconds() / s,
                machineBusySeconds() / s, Runtime.getRuntime().availableProcessors()));
        return b.toString();
    }

    /** {busy, total} ticks of all cores since boot. */
    private static long[] machine() {
        try {
            String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = cpu.trim().split("\\s+");
            long total = 0;
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            for (int i = 1; i < Math.min(f.length, 9); i++) {
                total += Long.parseLong(f[i]);
            }
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }
}
