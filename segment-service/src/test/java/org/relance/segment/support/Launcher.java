package org.relance.segment.support;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts a packaged service (a {@code quarkus-run.jar} named by a system property) as a process
 * for the process tests: its own folder with its embedded PostgreSQL and log, the test token, a
 * port of the test's choosing. One place for what the suite, the kill test and the replicas test
 * all need.
 */
public final class Launcher {
    /** The internal token every test process presents and checks. */
    public static final String TOKEN = "test-token";

    private Launcher() {
    }

    /** A free loopback port (the process binds it a moment later). */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Starts the jar of {@code jarProperty} in {@code dir} on {@code port}; does not wait. */
    public static Process launch(String jarProperty, Path dir, int port, Map<String, String> env, List<String> extra) throws IOException {
        String jar = System.getProperty(jarProperty);
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException(jarProperty + " is missing (" + jar + "): build the services first");
        }
        Files.createDirectories(dir);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dquarkus.http.port=" + port,
                "-Drelance.db.embedded.data-dir=" + dir.resolve("pg")));
        command.addAll(extra);
        command.addAll(List.of("-jar", jar));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("RELANCE_GRPC_TOKEN", TOKEN);
        builder.environment().putAll(env);
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("service.log").toFile()));
        return builder.start();
    }

    /** Whether the service on {@code port} answers its readiness check with 200. */
    public static boolean ready(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://localhost:" + port + "/q/health/ready").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }
}
