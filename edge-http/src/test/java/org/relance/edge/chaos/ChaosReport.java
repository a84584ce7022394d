package org.relance.edge.chaos;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.relance.edge.chaos.ChaosSuite.FaultReport;
import org.relance.edge.chaos.ChaosSuite.Plan;

/** The figures of one run as Markdown, in the shape docs/chaos.md quotes. */
final class ChaosReport {
    private ChaosReport() {
    }

    static String render(Plan plan, List<FaultReport> faults, TrackerLoad load, Audit audit, long seed, double startedAfter,
                         double drainSeconds, double totalSeconds) {
        StringBuilder out = new StringBuilder();
        line(out, "# Chaos run `%s`, %s", plan.name(), Instant.now());
        line(out, "");
        line(out, "Load %d batches/s from %d visitors (seed %d); topology ready after %.1f s; run %.1f s in all.",
                plan.batchesPerSecond(), plan.visitors(), seed, startedAfter, totalSeconds);
        line(out, "");
        Map<String, Long> kinds = Audit.counts(audit.findings);
        line(out, "| batches sent | attempts | carts acknowledged | purchases acknowledged | never acknowledged | lost | applied twice | stored wrong | drained in |");
        line(out, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        line(out, "| %d | %d | %d | %d | %d | %d | %d | %d | %.1f s |", load.batchesSent(), load.attempts(), load.acknowledgedCarts(),
                load.acknowledgedTransactions(), load.unacknowledgedCount(), audit.lost, audit.doubled, kinds.getOrDefault("wrong", 0L),
                drainSeconds);
        line(out, "");
        line(out, "| fault | at | held | lift took | all ready after lift | write acknowledged after lift | readiness answers while away → after |");
        line(out, "| --- | ---: | ---: | ---: | ---: | ---: | --- |");
        for (FaultReport f : faults) {
            line(out, "| %s | %.1f s | %.1f s | %.1f s | %.1f s | %s | %s |", f.name(), f.atSeconds(), f.holdSeconds(), f.liftSeconds(),
                    f.readyAfterSeconds(), f.recovered() ? String.format(Locale.ROOT, "%.1f s", f.acknowledgedAfterSeconds()) : "**never**",
                    f.readiness());
        }
        line(out, "");
        line(out, "What the load generator got, per phase (a phase runs from its fault's injection to the next phase):");
        line(out, "");
        line(out, "| phase | 204 | 5xx / 429 (kept, retried) | network errors (kept, retried) | p50 | p99 |");
        line(out, "| --- | ---: | ---: | ---: | ---: | ---: |");
        for (TrackerLoad.Phase p : load.phases()) {
            line(out, "| %s | %d | %d | %d | %.0f ms | %.0f ms |", p.name, p.acknowledged.get(), p.refused.get(), p.networkErrors.get(),
                    p.percentileMillis(50), p.percentileMillis(99));
        }
        line(out, "");
        line(out, "Streams: %d cart events, %d transaction events, settled %.1f s after the drain. Facts (contacts of the store):",
                audit.cartEventCount(), audit.transactionEventCount(), audit.settleSeconds);
        line(out, "");
        line(out, "| question | built under faults | after RebuildFacts (%.1f s) | from the stored carts |", audit.rebuildSeconds);
        line(out, "| --- | ---: | ---: | ---: |");
        for (Map.Entry<String, Long> e : audit.factsBefore.entrySet()) {
            Long expected = audit.factsExpected.get(e.getKey());
            line(out, "| %s | %d | %s | %s |", e.getKey(), e.getValue(), audit.factsAfterRebuild.get(e.getKey()),
                    expected == null ? "–" : expected.toString());
        }
        line(out, "");
        if (audit.findings.isEmpty() && load.unexpectedAnswers().isEmpty()) {
            line(out, "Findings: none.");
        } else {
            line(out, "Findings:");
            for (Map.Entry<String, List<String>> e : audit.findings.entrySet()) {
                for (String f : e.getValue().subList(0, Math.min(30, e.getValue().size()))) {
                    line(out, "* %s: %s", e.getKey(), f);
                }
            }
            for (String u : load.unexpectedAnswers().subList(0, Math.min(10, load.unexpectedAnswers().size()))) {
                line(out, "* unexpected answer: %s", u);
            }
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String format, Object... args) {
        out.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
