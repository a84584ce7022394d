package org.relance.edge.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;

/**
 * A shop's web server for the browser tests: serves src/test/browser/fixtures on loopback with
 * {{EDGE}} and {{SITE_KEY}} filled in (the site key of the scenario being run).
 */
public final class FixtureServer implements AutoCloseable {
    private final HttpServer server;
    private final Path root;
    private final String edge;
    private volatile String siteKey = "";

    public FixtureServer(Path root, String edge) {
        this.root = root;
        this.edge = edge;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", exchange -> {
            String name = exchange.getRequestURI().getPath().substring(1);
            Path file = root.resolve(name).normalize();
            byte[] body;
            int status = 200;
            if (name.isEmpty() || !file.startsWith(root) || !Files.isRegularFile(file)) {
                status = 404;
                body = "not found".getBytes(StandardCharsets.UTF_8);
            } else {
                body = Files.readString(file).replace("{{EDGE}}", edge).replace("{{SITE_KEY}}", siteKey)
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", name.endsWith(".html") ? "text/html; charset=utf-8" : "text/plain");
            }
            exchange.getResponseHeaders().add("Cache-Control", "no-store");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    /** The site key written into the pages from now on. */
    public void siteKey(String key) {
        this.siteKey = key;
    }

    /** http://127.0.0.1:port */
    public String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The same server under another origin (http://localhost:port). */
    public String foreignBase() {
        return "http://localhost:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
