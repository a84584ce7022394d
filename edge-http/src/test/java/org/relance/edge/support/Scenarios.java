package org.relance.edge.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs one scenario of src/test/browser/scenario.mjs in Chromium for the browser tests. */
public final class Scenarios {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The folder of scenario.mjs and its fixtures. */
    public static final Path BROWSER = Path.of(System.getProperty("relance.browser.dir", "src/test/browser"));

    private Scenarios() {
    }

    /** Runs {@code name}; answers its last stdout line, after checking it says ok. */
    public static JsonNode run(String name, String fixtureBase, String edgeBase, Map<String, String> env)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("node", "scenario.mjs", name, fixtureBase, edgeBase)
                .directory(BROWSER.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Path log = Files.createTempFile("relance-scenario-" + name, ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " did not finish in 90 s:\n" + Files.readString(log));
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        assertThat(process.exitValue()).as(name + " output:\n" + String.join("\n", lines)).isZero();
        JsonNode result = JSON.readTree(last);
        assertThat(result.path("ok").asBoolean()).as(last).isTrue();
        return result;
    }
}
