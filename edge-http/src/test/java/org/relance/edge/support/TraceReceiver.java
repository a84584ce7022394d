package org.relance.edge.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP (protobuf) trace collector for tests: keeps every export body it receives, so a
 * test can look for a trace id (its 16 raw bytes) next to a service's name in what each process sent.
 */
public final class TraceReceiver implements AutoCloseable {
    private final HttpServer server;
    private final List<byte[]> exports = new CopyOnWriteArrayList<>();

    public TraceReceiver() {
        // The exporters keep their connection between exports; the JDK server's default 30 s idle
        // close would make an export after a quiet spell fail on a stale connection.
        System.setProperty("sun.net.httpserver.idleInterval", "3600");
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
                    body = in.readAllBytes();
                }
            }
            exports.add(body);
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().close();
        });
        server.start();
    }

    /** The endpoint for {@code quarkus.otel.exporter.otlp.traces.endpoint}. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Whether some export from {@code serviceName} mentions the trace. */
    public boolean sawTrace(String serviceName, byte[] traceId) {
        byte[] name = serviceName.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte[] export : exports) {
            if (indexOf(export, name) >= 0 && indexOf(export, traceId) >= 0) {
                return true;
            }
        }
        return false;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
