package org.relance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs Debian's pgbench with a custom script against a database of a {@link Postgres}. */
final class Pgbench {
    private static final Pattern TPS = Pattern.compile("^tps = ([0-9.]+)", Pattern.MULTILINE);
    private static final Pattern PROCESSED = Pattern.compile("number of transactions actually processed: (\\d+)");
    private static final Pattern FAILED = Pattern.compile("number of failed transactions: (\\d+)");
    private static final Pattern LATENCY = Pattern.compile("latency average = ([0-9.]+) ms");

    private Pgbench() {
    }

    /** What a run printed, parsed. */
    record Result(double tps, long transactions, long failed, double latencyMillis, String output) {
    }

    static Result parse(String output) {
        Matcher tps = TPS.matcher(output);
        if (!tps.find()) {
            throw new IllegalStateException("no tps in pgbench output:\n" + output);
        }
        Matcher processed = PROCESSED.matcher(output);
        Matcher failed = FAILED.matcher(output);
        Matcher latency = LATENCY.matcher(output);
        return new Result(Double.parseDouble(tps.group(1)),
                processed.find() ? Long.parseLong(processed.group(1)) : -1,
                failed.find() ? Long.parseLong(failed.group(1)) : 0,
                latency.find() ? Double.parseDouble(latency.group(1)) : Double.NaN,
                output);
    }

    /**
     * pgbench -M prepared -n with {@code script} for {@code seconds}, {@code clients} clients on
     * {@code threads} threads; {@code run} makes the ids of this run unique.
     */
    static Result run(Postgres pg, String database, Path scriptFile, String script, int clients, int threads,
                      int seconds, int run) {
        try {
            Files.writeString(scriptFile, script, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(List.of(Postgres.BIN.resolve("pgbench").toString(),
                "-h", "127.0.0.1", "-p", Integer.toString(pg.port()), "-U", "postgres",
                "-n", "-M", "prepared", "-c", Integer.toString(clients), "-j", Integer.toString(threads),
                "-T", Integer.toString(seconds), "-D", "run=" + run, "-D", "n=0",
                "-f", scriptFile.toString(), database));
        Procs.Outcome outcome = Procs.run(seconds + 120L, command);
        if (outcome.exitCode() != 0) {
            throw new IllegalStateException("pgbench exited with " + outcome.exitCode() + ":\n" + outcome.output());
        }
        return parse(outcome.output());
    }
}
