package org.relance.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * What {@code suite.json} says: the suite's state, its PostgreSQL and one line per service.
 * Written by hand, one service per line, so that the shell script can read it with grep and sed.
 *
 * @param state      {@code starting}, {@code ready}, {@code stopping}, {@code stopped} or {@code failed}
 * @param pid        the launcher's pid
 * @param root       the project root
 * @param postgres   the suite's PostgreSQL
 * @param demoShop   the demo shop's URL, when the edge runs
 * @param logs       the log folder
 * @param services   every service of the suite, built or not
 */
record SuiteState(String state, long pid, String root, Postgres postgres, Optional<String> demoShop,
                  String logs, List<Service> services) {

    /**
     * @param port    its port
     * @param pid     the postmaster's pid, 0 when not known
     * @param dataDir its data folder
     */
    record Postgres(int port, long pid, String dataDir) {
    }

    /**
     * @param spec  the service
     * @param state {@code not-built}, {@code starting}, {@code ready}, {@code exited}, {@code stopping} or
     *              {@code stopped}
     * @param pid   its process, 0 when it has none
     */
    record Service(ServiceSpec spec, String state, long pid) {
        Service {
            requireNonNull(spec, "spec");
            requireNonNull(state, "state");
        }
    }

    /** A service line of an earlier {@code suite.json}, enough to find what an earlier run left behind. */
    record RecordedService(String module, long pid) {
    }

    private static final Pattern SERVICE_LINE =
            Pattern.compile("\\{\"module\": \"([^\"]+)\".*\"pid\": (\\d+)");

    SuiteState {
        requireNonNull(state, "state");
        requireNonNull(root, "root");
        requireNonNull(postgres, "postgres");
        requireNonNull(demoShop, "demoShop");
        requireNonNull(logs, "logs");
        services = List.copyOf(services);
    }

    String toJson() {
        StringBuilder json = new StringBuilder(1024);
        json.append("{\n");
        json.append("  \"state\": ").append(quote(state)).append(",\n");
        json.append("  \"pid\": ").append(pid).append(",\n");
        json.append("  \"root\": ").append(quote(root)).append(",\n");
        json.append("  \"postgres\": {\"port\": ").append(postgres.port())
                .append(", \"pid\": ").append(postgres.pid())
                .append(", \"dataDir\": ").append(quote(postgres.dataDir())).append("},\n");
        json.append("  \"demoShop\": ").append(demoShop.map(SuiteState::quote).orElse("null")).append(",\n");
        json.append("  \"logs\": ").append(quote(logs)).append(",\n");
        json.append("  \"services\": [\n");
        for (int i = 0; i < services.size(); i++) {
            Service service = services.get(i);
            ServiceSpec spec = service.spec();
            json.append("    {\"module\": ").append(quote(spec.module()))
                    .append(", \"port\": ").append(spec.port())
                    .append(", \"database\": ").append(quote(spec.database()))
                    .append(", \"url\": ").append(quote(spec.url()))
                    .append(", \"state\": ").append(quote(service.state()))
                    .append(", \"pid\": ").append(service.pid())
                    .append('}')
                    .append(i + 1 < services.size() ? ",\n" : "\n");
        }
        json.append("  ]\n");
        json.append("}\n");
        return json.toString();
    }

    /** The services with a process in an earlier {@code suite.json}. */
    static List<RecordedService> recordedServices(String json) {
        List<RecordedService> found = new ArrayList<>();
        for (String line : json.split("\n")) {
            Matcher matcher = SERVICE_LINE.matcher(line);
            if (matcher.find()) {
                long pid = Long.parseLong(matcher.group(2));
                if (pid > 0) {
                    found.add(new RecordedService(matcher.group(1), pid));
                }
            }
        }
        return found;
    }

    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> {
                    if (c < 0x20) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }
}
