package org.relance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** One scenario's results: a table (figure, baseline, ratio, goal, met) and notes; printed and saved as Markdown. */
final class Report {
    /** One line of the table; texts already formatted. */
    record Row(String what, String figure, String baseline, String ratio, String goal, String met) {
    }

    private final String scenario;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> blocks = new ArrayList<>();

    Report(String scenario) {
        this.scenario = scenario;
    }

    void row(String what, String figure, String baseline, String ratio, String goal, Boolean met) {
        rows.add(new Row(what, figure, baseline, ratio, goal, met == null ? "-" : met ? "met" : "NOT met"));
    }

    void note(String text) {
        notes.add(text);
        System.out.println("  " + text);
    }

    /** A Markdown block (another table) printed after the main table, before the notes. */
    void block(String markdown) {
        blocks.add(markdown);
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("### ").append(scenario).append(" (").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
                .append(")\n\n");
        b.append("| measure | figure | baseline (same run) | ratio | goal | |\n");
        b.append("| --- | --- | --- | --- | --- | --- |\n");
        for (Row r : rows) {
            b.append("| ").append(r.what()).append(" | ").append(r.figure()).append(" | ").append(r.baseline()).append(" | ")
                    .append(r.ratio()).append(" | ").append(r.goal()).append(" | ").append(r.met()).append(" |\n");
        }
        for (String block : blocks) {
            b.append('\n').append(block);
            if (!block.endsWith("\n")) {
                b.append('\n');
            }
        }
        if (!notes.isEmpty()) {
            b.append('\n');
            for (String n : notes) {
                b.append("- ").append(n).append('\n');
            }
        }
        return b.toString();
    }

    /** Prints the table and writes it to {@code dir}/{@code scenario}.md. */
    void publish(Path dir) {
        String md = markdown();
        System.out.println();
        System.out.println(md);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(scenario + ".md"), md, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String ms(double millis) {
        return String.format("%.2f ms", millis);
    }

    static String s(double seconds) {
        return String.format("%.2f s", seconds);
    }

    static String ratio(double r) {
        return String.format("%.2f", r);
    }
}
