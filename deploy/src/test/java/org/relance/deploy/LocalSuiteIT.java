package org.relance.deploy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launcher with a real embedded PostgreSQL and stand-in services on free loopback ports. */
class LocalSuiteIT {
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8);
    private LocalSuite suite;

    @AfterEach
    void stopAndShowConsole() {
        if (suite != null) {
            suite.stop("stopped");
        }
        System.out.print(console.toString(StandardCharsets.UTF_8));
    }

    @Test
    void startsPostgresWithADatabasePerServiceAndTheBuiltServicesThenStopsThemInReverseOrder(@TempDir Path root)
            throws Exception {
        ServiceSpec cart = new ServiceSpec("cart-service", freePort(), "relance_cart");
        ServiceSpec segment = new ServiceSpec("segment-service", freePort(), "relance_segment");
        ServiceSpec edge = new ServiceSpec("edge-http", freePort(), "relance_edge");
        fakeService(root, cart);
        fakeService(root, edge);
        int pgPort = freePort();
        suite = new LocalSuite(settings(root, pgPort, List.of(cart, segment, edge)), out);

        suite.start();

        SuiteFolder folder = suite.folder();
        String state = Files.readString(folder.stateFile());
        assertTrue(state.contains("\"state\": \"ready\""), state);
        assertTrue(state.contains("\"demoShop\": \"http://localhost:" + edge.port() + "/demo/\""), state);
        assertTrue(state.contains("{\"module\": \"segment-service\", \"port\": " + segment.port()
                + ", \"database\": \"relance_segment\", \"url\": \"http://localhost:" + segment.port()
                + "\", \"state\": \"not-built\", \"pid\": 0}"), state);
        assertEquals(Long.toString(ProcessHandle.current().pid()), Files.readString(folder.pidFile()).strip());
        for (String database : List.of("relance_cart", "relance_segment", "relance_edge")) {
            assertEquals(1, selectOne(pgPort, database), database);
        }

        String token = Files.readString(folder.tokenFile()).strip();
        assertEquals(43, token.length(), "32 random bytes, base64url without padding");
        String cartLog = Files.readString(folder.log("cart-service"));
        assertTrue(cartLog.contains("env QUARKUS_HTTP_PORT=" + cart.port()), cartLog);
        assertTrue(cartLog.contains("env RELANCE_DB_URL=postgresql://localhost:" + pgPort + "/relance_cart"), cartLog);
        assertTrue(cartLog.contains("env RELANCE_DB_USERNAME=postgres"), cartLog);
        assertTrue(cartLog.contains("env RELANCE_GRPC_TOKEN=" + token), cartLog);
        assertTrue(cartLog.contains("env RELANCE_CART_DEMO_ENABLED=true"), cartLog);
        assertTrue(cartLog.contains("env RELANCE_CART_SERVICE_URL=localhost:" + cart.port()), cartLog);
        assertTrue(cartLog.contains("env RELANCE_SEGMENT_SERVICE_URL=localhost:" + segment.port()), cartLog);
        String summary = Files.readString(folder.summaryFile());
        assertTrue(summary.contains("http://localhost:" + edge.port() + "/demo/"), summary);
        assertTrue(summary.contains("pk_demo_relance"), summary);
        assertTrue(summary.contains(token), summary);

        long postmaster = postmasterPid(folder);
        suite.stop("stopped");

        assertEquals(List.of("edge-http", "cart-service"), Files.readAllLines(root.resolve("stops.txt")));
        assertExits(postmaster);
        assertFalse(Files.exists(folder.pidFile()));
        assertTrue(Files.readString(folder.stateFile()).contains("\"state\": \"stopped\""));
    }

    @Test
    void aServiceThatExitsBeforeItIsReadyFailsTheStartWithTheEndOfItsLog(@TempDir Path root) throws Exception {
        ServiceSpec cart = new ServiceSpec("cart-service", freePort(), "relance_cart");
        ServiceSpec transaction = new ServiceSpec("transaction-service", freePort(), "relance_transaction");
        fakeService(root, cart);
        Files.createFile(fakeService(root, transaction).resolveSibling("fail"));
        suite = new LocalSuite(settings(root, freePort(), List.of(cart, transaction)), out);

        SuiteException failure = assertThrows(SuiteException.class, suite::start);

        assertTrue(failure.getMessage().startsWith("transaction-service exited with code 3 before it was ready"),
                failure.getMessage());
        assertTrue(failure.logTail().contains("fake transaction-service: refusing to start"), failure.logTail().toString());
        long postmaster = postmasterPid(suite.folder());
        suite.stop("failed");
        assertEquals(List.of("cart-service"), Files.readAllLines(root.resolve("stops.txt")));
        assertExits(postmaster);
    }

    @Test
    void refusesToStartWhenThePostgresPortIsTaken(@TempDir Path root) throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            suite = new LocalSuite(settings(root, taken.getLocalPort(), List.of()), out);

            SuiteException failure = assertThrows(SuiteException.class, suite::start);

            assertTrue(failure.getMessage().contains(taken.getLocalPort() + " (PostgreSQL"), failure.getMessage());
            assertFalse(Files.exists(suite.folder().pidFile()));
        }
    }

    @Test
    void refusesToStartWhileAnotherSuiteRunsOnTheSameFolder(@TempDir Path root) throws Exception {
        Process other = new ProcessBuilder("bash", "-c", "exec -a relance-deploy sleep 60").start();
        try {
            SuiteFolder folder = new SuiteFolder(root);
            folder.writePid(other.pid());
            folder.writeState("{\"state\": \"ready\"}\n");
            suite = new LocalSuite(settings(root, freePort(), List.of()), out);

            SuiteException failure = assertThrows(SuiteException.class, suite::start);

            assertTrue(failure.getMessage().startsWith("a Relance suite is already running here (pid " + other.pid()),
                    failure.getMessage());
            suite.stop("failed");
            assertEquals(Long.toString(other.pid()), Files.readString(folder.pidFile()).strip(), "its pid file stays");
            assertEquals("{\"state\": \"ready\"}\n", Files.readString(folder.stateFile()), "its state stays");
        } finally {
            other.destroyForcibly().waitFor();
        }
    }

    private static LocalSuite.Settings settings(Path root, int pgPort, List<ServiceSpec> services) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new LocalSuite.Settings(root, pgPort, services, Duration.ofSeconds(60), java, Map.of());
    }

    /** A quarkus-run.jar that holds only {@link FakeService}. */
    private static Path fakeService(Path root, ServiceSpec spec) throws IOException {
        Path jar = spec.jar(root);
        Files.createDirectories(jar.getParent());
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, FakeService.class.getName());
        try (JarOutputStream jarOut = new JarOutputStream(Files.newOutputStream(jar), manifest);
             InputStream classFile = FakeService.class.getResourceAsStream("FakeService.class")) {
            jarOut.putNextEntry(new JarEntry(FakeService.class.getName().replace('.', '/') + ".class"));
            classFile.transferTo(jarOut);
            jarOut.closeEntry();
        }
        return jar;
    }

    private static int selectOne(int pgPort, String database) throws SQLException {
        try (Connection connection = DriverManager.getConnection(
                "jdbc:postgresql://localhost:" + pgPort + "/" + database + "?user=postgres");
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT 1")) {
            rows.next();
            return rows.getInt(1);
        }
    }

    private static long postmasterPid(SuiteFolder folder) throws IOException {
        return Long.parseLong(Files.readAllLines(folder.postgresData().resolve("postmaster.pid")).get(0).strip());
    }

    /** pg_ctl stop returns once postmaster.pid is gone, a moment before the postmaster itself. */
    private static void assertExits(long pid) throws Exception {
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isPresent()) {
            try {
                process.get().onExit().get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("process " + pid + " still runs", e);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
