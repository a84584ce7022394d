package org.relance.edge.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The real cart, transaction and segment services (their packaged jars, built earlier in the
 * reactor), each a process on its own embedded PostgreSQL, behind the edge under test.
 */
public class Services implements QuarkusTestResourceLifecycleManager {
    public static final String TOKEN = "test-token";
    public static final String LINK_SECRET = "test-link-secret-of-enough-length";
    private static Process cart;
    private static Process transaction;
    private static Process segment;
    private static int cartPort;
    private static int transactionPort;
    private static int segmentPort;
    private static int edgePort;
    private static TraceReceiver traces;

    /** The OTLP collector every process of the suite (and the edge) exports its traces to. */
    public static TraceReceiver traces() {
        return traces;
    }

    private static Map<String, String> tracing() {
        if (traces == null) {
            return Map.of();
        }
        return Map.of("QUARKUS_OTEL_SDK_DISABLED", "false",
                "QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces.endpoint(),
                "QUARKUS_OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf",
                "QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "200ms");
    }

    public static int cartPort() {
        return cartPort;
    }

    public static int transactionPort() {
        return transactionPort;
    }

    public static int segmentPort() {
        return segmentPort;
    }

    @Override
    public Map<String, String> start() {
        try {
            cartPort = freePort();
            transactionPort = freePort();
            segmentPort = freePort();
            // The edge's port is chosen here, so that the demo site can allow the edge's own origin.
            edgePort = freePort();
            traces = new TraceReceiver();
            Path dir = Path.of("target", "suite-" + UUID.randomUUID()).toAbsolutePath();
            Files.createDirectories(dir);
            Map<String, String> toCart = Map.of("RELANCE_CART_HOST", "localhost", "RELANCE_CART_PORT", Integer.toString(cartPort));
            cart = start("relance.cart.jar", cartPort, dir.resolve("cart"), Map.of(),
                    List.of("-Drelance.cart.sweep-interval=1s", "-Drelance.cart.demo.enabled=true",
                            "-Drelance.cart.demo.allowed-origins=http://localhost:" + edgePort + ",http://127.0.0.1:" + edgePort));
            transaction = start("relance.transaction.jar", transactionPort, dir.resolve("transaction"), toCart,
                    List.of("-Drelance.transaction.conversion.interval=1s"));
            Map<String, String> toBoth = new HashMap<>(toCart);
            toBoth.put("RELANCE_TRANSACTION_HOST", "localhost");
            toBoth.put("RELANCE_TRANSACTION_PORT", Integer.toString(transactionPort));
            toBoth.put("RELANCE_LINK_SECRET", LINK_SECRET);
            segmentDir = dir.resolve("segment");
            segmentEnv = toBoth;
            segment = start("relance.segment.jar", segmentPort, segmentDir, toBoth, List.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> config = new HashMap<>();
        config.put("quarkus.http.test-port", Integer.toString(edgePort));
        config.put("quarkus.otel.sdk.disabled", "false");
        config.put("quarkus.otel.exporter.otlp.traces.endpoint", traces.endpoint());
        config.put("quarkus.otel.exporter.otlp.traces.protocol", "http/protobuf");
        config.put("quarkus.otel.bsp.schedule.delay", "200ms");
        for (String[] client : new String[][] {{"cart", Integer.toString(cartPort)}, {"transaction", Integer.toString(transactionPort)},
                {"segment", Integer.toString(segmentPort)}}) {
            config.put("quarkus.grpc.clients." + client[0] + ".port", client[1]);
            config.put("quarkus.grpc.clients." + client[0] + ".test-port", client[1]);
        }
        return config;
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Starts a packaged service (system property {@code jarProperty}) on {@code port}; waits until it is ready. */
    public static Process start(String jarProperty, int port, Path dir, Map<String, String> env, List<String> extra) throws IOException {
        String jar = System.getProperty(jarProperty);
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException(jarProperty + " is missing (" + jar + "): build the services first");
        }
        Files.createDirectories(dir);
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dquarkus.http.port=" + port, "-Drelance.db.embedded.data-dir=" + dir.resolve("pg")));
        command.addAll(extra);
        command.add("-jar");
        command.add(jar);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("RELANCE_GRPC_TOKEN", TOKEN);
        builder.environment().putAll(tracing());
        builder.environment().putAll(env);
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("service.log").toFile()));
        Process process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!ready(port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException(jarProperty + " did not start, see " + dir.resolve("service.log"));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return process;
    }

    private static boolean ready(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://localhost:" + port + "/q/health/ready").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private static Path segmentDir;
    private static Map<String, String> segmentEnv;

    /** Stops the segment service (SIGTERM), for outage tests; {@link #startSegment} brings it back. */
    public static void stopSegment() throws InterruptedException {
        segment.destroy();
        if (!segment.waitFor(30, TimeUnit.SECONDS)) {
            segment.destroyForcibly().waitFor();
        }
    }

    /** Starts the segment service again on its port and data. */
    public static void startSegment() throws IOException {
        segment = start("relance.segment.jar", segmentPort, segmentDir, segmentEnv, List.of());
    }

    @Override
    public void stop() {
        if (traces != null) {
            traces.close();
        }
        for (Process p : new Process[] {segment, transaction, cart}) {
            if (p != null && p.isAlive()) {
                p.destroy();
                try {
                    if (!p.waitFor(30, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
