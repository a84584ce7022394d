package org.relance.deploy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Stands in for a packaged service in {@link LocalSuiteIT}: packed alone into a
 * {@code <module>/target/quarkus-app/quarkus-run.jar}, it prints the variables it was given,
 * answers {@code /q/health/ready}, and on SIGTERM appends its module to {@code <root>/stops.txt}.
 * A file named {@code fail} next to the jar makes it exit with code 3 instead.
 */
public final class FakeService {
    private FakeService() {
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(FakeService.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        Path moduleFolder = home.getParent().getParent();
        Path root = moduleFolder.getParent();
        String module = moduleFolder.getFileName().toString();

        System.getenv().entrySet().stream()
                .filter(entry -> entry.getKey().startsWith("RELANCE_") || entry.getKey().startsWith("QUARKUS_"))
                .sorted(Map.Entry.comparingByKey())
                .forEach(entry -> System.out.println("env " + entry.getKey() + "=" + entry.getValue()));
        if (Files.exists(home.resolve("fail"))) {
            System.out.println("fake " + module + ": refusing to start");
            System.exit(3);
        }
        int port = Integer.parseInt(System.getenv("QUARKUS_HTTP_PORT"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/q/health/ready", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(0);
            try {
                Files.writeString(root.resolve("stops.txt"), module + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }));
        System.out.println("fake " + module + ": listening on " + port);
    }
}
