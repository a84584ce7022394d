package org.relance.deploy.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The chart under {@code deploy/helm/relance}, driven through helm-java (which carries the helm
 * binary as a native library: nothing to install, nothing downloaded at run time).
 */
final class Chart {
    /** The Kubernetes version templates are rendered for; the chart asks for 1.25 or later. */
    static final String KUBE_VERSION = "1.30.0";
    static final String RELEASE = "relance";
    static final String NAMESPACE = "shop";

    private Chart() {
    }

    /** The chart folder, from the module folder that surefire runs in. */
    static Path dir() {
        Path base = Path.of(System.getProperty("basedir", "."));
        Path chart = base.resolve("helm/relance");
        if (!Files.isDirectory(chart)) {
            throw new IllegalStateException("no chart at " + chart.toAbsolutePath());
        }
        return chart;
    }

    /** The scenario files of {@code ci/}, by name. */
    static List<Path> ciScenarios() {
        try (Stream<Path> files = Files.list(dir().resolve("ci"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code helm template} with the given values files on top of the chart's defaults. */
    static Rendered template(Path... valuesFiles) {
        return render(dir(), valuesFiles);
    }

    /** {@code helm template} of another copy of the chart. */
    static Rendered render(Path chart, Path... valuesFiles) {
        TemplateCommand command = new Helm(chart).template()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        for (Path file : valuesFiles) {
            command = command.withValuesFile(file);
        }
        return new Rendered(parse(command.call()));
    }

    /** {@code helm template} with values given as YAML text (written to a file in {@code work}). */
    static Rendered templateWith(Path work, String valuesYaml) {
        return template(write(work, "values-" + Math.abs(valuesYaml.hashCode()) + ".yaml", valuesYaml));
    }

    /**
     * {@code helm lint --strict} of the chart with a scenario's values. helm-java's lint takes no
     * values file, so the chart is copied and the scenario merged into the copy's values.yaml,
     * which is exactly what helm would lint with {@code -f scenario}.
     */
    static LintResult lintStrict(Path work, Path scenario) {
        Path copy = copy(work.resolve("lint-" + (scenario == null ? "defaults" : scenario.getFileName())));
        if (scenario != null) {
            Map<String, Object> merged = merge(readMap(dir().resolve("values.yaml")), readMap(scenario));
            write(copy, "values.yaml", new Yaml().dump(merged));
        }
        return new Helm(copy).lint().strict().call();
    }

    /**
     * The chart with its `helm test` pod turned into a plain manifest: helm-java's template returns
     * the release manifest, which leaves hooks out, so the hook annotations are dropped in a copy.
     */
    static Path copyWithTestsAsManifests(Path work) {
        Path copy = copy(work.resolve("with-tests"));
        Path test = copy.resolve("templates/tests/test-health.yaml");
        try {
            List<String> lines = Files.readAllLines(test, StandardCharsets.UTF_8).stream()
                    .filter(line -> !line.contains("\"helm.sh/hook"))
                    .map(line -> line.contains("annotations:") && !line.contains("{{") ? "  annotations: {}" : line)
                    .toList();
            Files.write(test, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return copy;
    }

    static Path write(Path dir, String name, String text) {
        try {
            Files.createDirectories(dir);
            return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path copy(Path target) {
        Path source = dir();
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path to = target.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(file, to);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> readMap(Path file) {
        try {
            Object value = new Yaml().load(Files.readString(file, StandardCharsets.UTF_8));
            return value == null ? new LinkedHashMap<>() : (Map<String, Object>) value;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Helm's own rule: maps merge key by key, anything else in {@code top} replaces. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> top) {
        Map<String, Object> merged = new LinkedHashMap<>(base);
        top.forEach((key, value) -> {
            Object below = merged.get(key);
            if (below instanceof Map && value instanceof Map) {
                merged.put(key, merge((Map<String, Object>) below, (Map<String, Object>) value));
            } else {
                merged.put(key, value);
            }
        });
        return merged;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> parse(String manifest) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object document : new Yaml(options).loadAll(manifest)) {
            if (document != null) {
                objects.add((Map<String, Object>) document);
            }
        }
        return objects;
    }

    /** The objects of one rendering, with small navigation helpers. */
    record Rendered(List<Map<String, Object>> objects) {
        List<Map<String, Object>> ofKind(String kind) {
            return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
        }

        Map<String, Object> named(String kind, String name) {
            return ofKind(kind).stream()
                    .filter(o -> name.equals(at(o, "metadata", "name")))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no " + kind + " named " + name));
        }
    }

    /** The value at a path of map keys, or null when any step is missing. */
    @SuppressWarnings("unchecked")
    static <T> T at(Object node, String... path) {
        Object current = node;
        for (String step : path) {
            if (!(current instanceof Map)) {
                return null;
            }
            current = ((Map<String, Object>) current).get(step);
        }
        return (T) current;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object node, String... path) {
        Object value = at(node, path);
        return value == null ? List.of() : (List<Map<String, Object>>) value;
    }

    static String name(Map<String, Object> object) {
        return Objects.requireNonNull(at(object, "metadata", "name"));
    }
}
