package org.relance.deploy;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * What an earlier run may have left: a suite still running, services and a postmaster that
 * outlived a launcher killed with SIGKILL, a stale {@code postmaster.pid}, a data folder whose
 * first initialisation was cut short. Running suites are refused; leftovers are stopped or removed.
 */
final class Leftovers {
    private static final Duration SMART_SHUTDOWN = Duration.ofSeconds(10);
    private static final Duration FAST_SHUTDOWN = Duration.ofSeconds(20);
    private static final Duration SERVICE_STOP = Duration.ofSeconds(20);

    private final SuiteFolder folder;
    private final PrintStream out;

    Leftovers(SuiteFolder folder, PrintStream out) {
        this.folder = requireNonNull(folder, "folder");
        this.out = requireNonNull(out, "out");
    }

    /** Refuses when a suite runs on this root; otherwise clears what an earlier one left. */
    void clear() throws SuiteException {
        OptionalLong recorded = folder.recordedPid();
        if (recorded.isPresent()) {
            Optional<ProcessHandle> suite = ProcessHandle.of(recorded.getAsLong())
                    .filter(Leftovers::isRunning)
                    .filter(process -> process.pid() != ProcessHandle.current().pid())
                    .filter(Leftovers::looksLikeSuite);
            if (suite.isPresent()) {
                throw new SuiteException("a Relance suite is already running here (pid " + recorded.getAsLong()
                        + "); see deploy/local/relance status, stop it with deploy/local/relance down");
            }
            out.println("relance: an earlier suite (pid " + recorded.getAsLong() + ") did not stop cleanly; "
                    + "clearing what it left");
            stopServicesOfEarlierRun();
        }
        checkDataFolderFree();
        stopLeftoverPostmaster();
        removeIncompleteDataFolder();
    }

    /** Services of a launcher that died without stopping them, as recorded in its suite.json. */
    private void stopServicesOfEarlierRun() {
        String json = folder.readState().orElse("");
        for (SuiteState.RecordedService recorded : SuiteState.recordedServices(json)) {
            Path jar = ServiceSpec.SUITE.stream()
                    .filter(spec -> spec.module().equals(recorded.module()))
                    .findFirst()
                    .map(spec -> spec.jar(folder.root()))
                    .orElse(null);
            if (jar == null) {
                continue;
            }
            Optional<ProcessHandle> service = ProcessHandle.of(recorded.pid())
                    .filter(Leftovers::isRunning)
                    .filter(process -> commandLine(process).contains(jar.toString()));
            service.ifPresent(process -> {
                out.println("relance: stopping " + recorded.module() + " left running by the earlier suite (pid "
                        + process.pid() + ")");
                process.destroy();
                if (!awaitExit(process, SERVICE_STOP)) {
                    process.destroyForcibly();
                    awaitExit(process, Duration.ofSeconds(5));
                }
            });
        }
    }

    /** zonky locks {@code epg-lock} in the data folder while its PostgreSQL runs. */
    private void checkDataFolderFree() throws SuiteException {
        Path lockFile = folder.postgresData().resolve("epg-lock");
        if (!Files.exists(lockFile)) {
            return;
        }
        try (FileOutputStream stream = new FileOutputStream(lockFile.toFile(), true);
             FileLock lock = stream.getChannel().tryLock()) {
            if (lock == null) {
                throw inUse();
            }
        } catch (OverlappingFileLockException e) {
            throw inUse();
        } catch (IOException e) {
            throw new SuiteException("cannot check " + lockFile + ": " + e.getMessage());
        }
    }

    private SuiteException inUse() {
        return new SuiteException("the PostgreSQL data folder " + folder.show(folder.postgresData())
                + " is in use by another running process; stop it first");
    }

    /**
     * A postmaster outlives a launcher killed with SIGKILL. Stop it the way {@code pg_ctl stop}
     * would: SIGTERM (smart shutdown), then SIGINT (fast shutdown). A {@code postmaster.pid} whose
     * process is gone or is not a postgres is removed, so that PostgreSQL does not refuse to start.
     */
    private void stopLeftoverPostmaster() throws SuiteException {
        Path pidFile = folder.postgresData().resolve("postmaster.pid");
        OptionalLong pid = firstLineNumber(pidFile);
        if (pid.isEmpty()) {
            return;
        }
        Optional<ProcessHandle> postmaster = ProcessHandle.of(pid.getAsLong())
                .filter(Leftovers::isRunning)
                .filter(Leftovers::isPostgres);
        if (postmaster.isEmpty()) {
            try {
                Files.deleteIfExists(pidFile);
                out.println("relance: removed a stale postmaster.pid (pid " + pid.getAsLong() + " is not running)");
            } catch (IOException e) {
                throw new SuiteException("cannot remove the stale " + pidFile + ": " + e.getMessage());
            }
            return;
        }
        ProcessHandle process = postmaster.get();
        out.println("relance: stopping the PostgreSQL left running by an earlier run (pid " + process.pid() + ")");
        process.destroy();
        if (awaitExit(process, SMART_SHUTDOWN)) {
            return;
        }
        signal("INT", process.pid());
        if (!awaitExit(process, FAST_SHUTDOWN)) {
            throw new SuiteException("the PostgreSQL left by an earlier run (pid " + process.pid()
                    + ") does not stop; stop it (kill -QUIT " + process.pid() + ") and try again");
        }
    }

    /** initdb writes postgresql.conf last: a folder without it never held data. */
    private void removeIncompleteDataFolder() throws SuiteException {
        Path data = folder.postgresData();
        if (!Files.isDirectory(data) || Files.exists(data.resolve("postgresql.conf"))) {
            return;
        }
        try (Stream<Path> entries = Files.list(data)) {
            if (entries.findAny().isEmpty()) {
                return;
            }
        } catch (IOException e) {
            throw new SuiteException("cannot read " + data + ": " + e.getMessage());
        }
        out.println("relance: removing " + folder.show(data) + ", whose first initialisation was cut short");
        try (Stream<Path> walk = Files.walk(data)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new SuiteException("cannot remove the incomplete data folder " + data + ": " + e.getMessage());
        }
    }

    /** The launcher's own command line names its jar or its main class. */
    private static boolean looksLikeSuite(ProcessHandle process) {
        String commandLine = commandLine(process);
        return commandLine.isEmpty() || commandLine.contains("relance-deploy") || commandLine.contains("LocalSuite");
    }

    private static boolean isPostgres(ProcessHandle process) {
        boolean postgresBinary = process.info().command()
                .map(command -> Path.of(command).getFileName().toString().equals("postgres"))
                .orElse(false);
        return postgresBinary || commandLine(process).contains("postgres");
    }

    /** From /proc where there is one: ProcessHandle.Info drops the arguments of some processes. */
    static String commandLine(ProcessHandle process) {
        Path proc = Path.of("/proc", Long.toString(process.pid()), "cmdline");
        try {
            if (Files.isReadable(proc)) {
                return new String(Files.readAllBytes(proc), StandardCharsets.UTF_8).replace('\0', ' ').strip();
            }
        } catch (IOException e) {
            // fall back to what the JDK knows
        }
        return process.info().commandLine().orElse("");
    }

    private static OptionalLong firstLineNumber(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
            return lines.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(lines.get(0).strip()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Polls: a process that is not our child cannot be waited for, and a zombie counts as gone. */
    static boolean awaitExit(ProcessHandle process, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isRunning(process)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !isRunning(process);
            }
        }
        return true;
    }

    /** Alive and not a zombie: a killed process stays visible until its new parent reaps it. */
    static boolean isRunning(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        Path stat = Path.of("/proc", Long.toString(process.pid()), "stat");
        try {
            String text = Files.readString(stat, StandardCharsets.US_ASCII);
            int endOfName = text.lastIndexOf(')');
            return endOfName < 0 || endOfName + 2 >= text.length() || text.charAt(endOfName + 2) != 'Z';
        } catch (IOException e) {
            return process.isAlive();
        }
    }

    /** The JDK sends only SIGTERM and SIGKILL; the shell's kill sends the rest. */
    private static void signal(String signal, long pid) {
        try {
            Process kill = new ProcessBuilder("/bin/sh", "-c", "kill -" + signal + " " + pid)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            kill.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // no shell: the caller reports that the process does not stop
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
