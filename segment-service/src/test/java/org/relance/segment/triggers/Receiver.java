package org.relance.segment.triggers;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A stand-in for the e-mail platform: an HTTP server on loopback that keeps every request it
 * gets and answers 200, or what a test scripted for a path (500, then 429 with Retry-After...).
 */
public final class Receiver implements AutoCloseable {
    /** One request as received. */
    public record Request(String path, String notificationId, String version, String signature, String contentType, String body,
                          Instant at) {
    }

    /** A scripted answer. */
    public record Answer(int status, String retryAfter) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(8);
    private final List<Request> requests = new ArrayList<>();
    private final Map<String, Deque<Answer>> scripts = new ConcurrentHashMap<>();

    public Receiver() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().getPath();
            var h = exchange.getRequestHeaders();
            synchronized (requests) {
                requests.add(new Request(path, h.getFirst("Relance-Notification-Id"), h.getFirst("Relance-Payload-Version"),
                        h.getFirst("Relance-Signature"), h.getFirst("Content-Type"), body, Instant.now()));
            }
            Deque<Answer> script = scripts.get(path);
            Answer answer = null;
            if (script != null) {
                synchronized (script) {
                    answer = script.poll();
                }
            }
            if (answer == null) {
                answer = new Answer(200, null);
            }
            if (answer.retryAfter() != null) {
                exchange.getResponseHeaders().add("Retry-After", answer.retryAfter());
            }
            exchange.sendResponseHeaders(answer.status(), -1);
            exchange.close();
        });
        server.setExecutor(executor);
        server.start();
    }

    /** The URL of a path on this receiver. */
    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Answers the next requests to {@code path} with these, in order, then 200. */
    public void script(String path, Answer... answers) {
        scripts.put(path, new ArrayDeque<>(List.of(answers)));
    }

    /** The requests received on {@code path}, in arrival order. */
    public List<Request> received(String path) {
        synchronized (requests) {
            return requests.stream().filter(r -> r.path().equals(path)).toList();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
