package org.relance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Small process helpers over /proc (Linux only): memory, CPU time, signals, free ports. */
final class Procs {
    /** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
    static final double TICKS_PER_SECOND = 100.0;

    private Procs() {
    }

    /** A free TCP port on loopback (closed again; the caller binds it soon after). */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Resident set size in KiB (VmRSS of /proc/pid/status), or -1 when the process is gone. */
    static long rssKb(long pid) {
        return statusField(Path.of("/proc", Long.toString(pid), "status"), "VmRSS:");
    }

    /** Proportional set size in KiB (shared pages divided among their users), or -1. */
    static long pssKb(long pid) {
        return statusField(Path.of("/proc", Long.toString(pid), "smaps_rollup"), "Pss:");
    }

    private static long statusField(Path file, String field) {
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
            return -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** User plus system CPU ticks of one process (0 when gone). */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1);
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            return Long.parseLong(rest[11]) + Long.parseLong(rest[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The process and all its descendants, alive now. */
    static List<Long> tree(long pid) {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(p -> {
            pids.add(p.pid());
            p.descendants().forEach(d -> pids.add(d.pid()));
        });
        return pids;
    }

    /** CPU ticks of the processes alive now in the trees of {@code roots}, with their pids, to diff later. */
    static CpuSample sample(Collection<Long> roots) {
        List<long[]> entries = new ArrayList<>();
        for (long root : roots) {
            for (long pid : tree(root)) {
                entries.add(new long[] {pid, cpuTicks(pid)});
            }
        }
        return new CpuSample(entries, System.nanoTime());
    }

    /** CPU seconds used by the processes of two samples (processes of the first still alive at the second). */
    record CpuSample(List<long[]> entries, long nanos) {
        double secondsUntil(CpuSample later) {
            long ticks = 0;
            for (long[] after : later.entries) {
                long before = entries.stream().filter(e -> e[0] == after[0]).mapToLong(e -> e[1]).findFirst().orElse(0);
                ticks += after[1] - before;
            }
            return ticks / TICKS_PER_SECOND;
        }
    }

    static void signal(long pid, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Output and exit code of a finished command. */
    record Outcome(int exitCode, String output) {
    }

    /** Runs a command to its end (at most {@code timeoutSeconds}), its output merged into one text. */
    static Outcome run(long timeoutSeconds, List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            StringBuilder out = new StringBuilder();
            Thread reader = new Thread(() -> {
                try {
                    out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    out.append("(output lost: ").append(e).append(")");
                }
            });
            reader.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroy();
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
                reader.join(5000);
                throw new IllegalStateException("timed out after " + timeoutSeconds + " s: " + command + "\n" + out);
            }
            reader.join(5000);
            return new Outcome(p.exitValue(), out.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + command, e);
        }
    }

    /** Like {@link #run} but fails unless the exit code is 0. */
    static String check(long timeoutSeconds, String... command) {
        Outcome o = run(timeoutSeconds, Arrays.asList(command));
        if (o.exitCode() != 0) {
            throw new IllegalStateException("exit " + o.exitCode() + " from " + String.join(" ", command) + "\n" + o.output());
        }
        return o.output();
    }

    /** Deletes a folder tree, quietly. */
    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }

    /** The last {@code lines} lines of a text file. */
    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
