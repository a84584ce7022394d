package org.relance.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The e-mail platform's stand-in: a JDK HttpServer on loopback answering 200 at once. For each
 * path (one per run: the service's, the bare client's) it keeps the first receive time of every
 * notification id (epoch microseconds), counts repeats, and checks every request the way a
 * receiver would — the signature (HMAC-SHA256 of "t.body") and that the body names the id of its
 * header — so that a fast but wrong delivery cannot pass. It keeps the first bodies as samples
 * for the bare client to send again. Nothing else: it is meant to cost little next to the sender.
 */
final class TriggerReceiver implements AutoCloseable {
    /** What one path received. */
    static final class Tally {
        final Map<String, Long> firstMicros = new ConcurrentHashMap<>();
        final AtomicLong requests = new AtomicLong();
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong badSignatures = new AtomicLong();
        final AtomicLong badBodies = new AtomicLong();
        final AtomicLong bodyBytes = new AtomicLong();
        /** {notification id, body} of the first requests. */
        final List<String[]> samples = new ArrayList<>();
        private final int keep;

        Tally(int keep) {
            this.keep = keep;
        }

        int distinct() {
            return firstMicros.size();
        }

        long[] sortedMicros() {
            return firstMicros.values().stream().mapToLong(Long::longValue).sorted().toArray();
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, Tally> tallies = new ConcurrentHashMap<>();
    private final byte[] secret;
    private final ThreadLocal<Mac> macs;

    TriggerReceiver(String secret, int threads) {
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.macs = ThreadLocal.withInitial(() -> {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(this.secret, "HmacSHA256"));
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        executor = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "receiver");
            t.setDaemon(true);
            return t;
        });
        server.createContext("/", exchange -> {
            try (exchange) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                long at = micros(Instant.now());
                Tally tally = tallies.get(exchange.getRequestURI().getPath());
                if (tally == null) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                tally.requests.incrementAndGet();
                tally.bodyBytes.addAndGet(body.length);
                var h = exchange.getRequestHeaders();
                String id = h.getFirst("Relance-Notification-Id");
                String text = new String(body, StandardCharsets.UTF_8);
                if (id == null || !text.contains("\"notificationId\":\"" + id + "\"")) {
                    tally.badBodies.incrementAndGet();
                }
                if (!verify(h.getFirst("Relance-Signature"), body)) {
                    tally.badSignatures.incrementAndGet();
                }
                if (id != null && tally.firstMicros.putIfAbsent(id, at) != null) {
                    tally.duplicates.incrementAndGet();
                }
                if (id != null && tally.samples.size() < tally.keep) {
                    synchronized (tally.samples) {
                        if (tally.samples.size() < tally.keep) {
                            tally.samples.add(new String[] {id, text});
                        }
                    }
                }
                exchange.sendResponseHeaders(200, -1);
            }
        });
        server.setExecutor(executor);
        server.start();
        Cleanup.register(this);
    }

    /** Starts counting on {@code path}, keeping up to {@code samples} bodies. */
    Tally open(String path, int samples) {
        Tally t = new Tally(samples);
        tallies.put(path, t);
        return t;
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
    }

    /** {@code t=<unix>,v1=<hex>}: the HMAC of "t.body", compared in constant time. */
    private boolean verify(String header, byte[] body) {
        if (header == null) {
            return false;
        }
        String t = null;
        String v1 = null;
        for (String part : header.split(",")) {
            if (part.startsWith("t=")) {
                t = part.substring(2);
            } else if (part.startsWith("v1=")) {
                v1 = part.substring(3);
            }
        }
        if (t == null || v1 == null) {
            return false;
        }
        Mac mac = macs.get();
        mac.update((t + ".").getBytes(StandardCharsets.UTF_8));
        byte[] expected = TriggerBareClient.hex(mac.doFinal(body)).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, v1.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void close() {
        Cleanup.unregister(this);
        server.stop(0);
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "receiver " + url("/");
    }
}
