package org.relance.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The delivery baseline: a bare JDK HttpClient, built and used as the service's webhook provider
 * uses it (same builder settings, same headers, a new HMAC-SHA256 signature per request, the body
 * as a String), sending bodies the service actually delivered in this run (each with a new
 * notification id, in the header and in the body) to the same receiver, with as many requests in
 * flight as the service allows itself ({@code relance.segment.notifications.concurrency}), as fast as
 * it can. No database, no checks: the ceiling of "POST a signed reminder" on this machine.
 */
final class TriggerBareClient {
    record Result(long startMicros, long sent, long failed, String firstError) {
    }

    private TriggerBareClient() {
    }

    /** Sends {@code n} requests to {@code url}, {@code concurrency} in flight, stopping early at {@code budget}. */
    static Result run(String url, List<String[]> samples, int n, int concurrency, String secret, Duration budget) {
        if (samples.isEmpty()) {
            throw new IllegalStateException("no delivered body to send again");
        }
        // As WebhookProvider builds its client.
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();
        URI uri = URI.create(url);
        Semaphore inFlight = new Semaphore(concurrency);
        AtomicLong failed = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        long stopAt = System.nanoTime() + budget.toNanos();
        long start = TriggerReceiver.micros(Instant.now());
        long sent = 0;
        try {
            for (int i = 0; i < n && System.nanoTime() < stopAt; i++) {
                inFlight.acquire();
                String[] sample = samples.get(i % samples.size());
                String id = "b-" + i;
                String body = sample[1].replace(sample[0], id);
                HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .header("User-Agent", "Relance-Webhook/1")
                        .header("Relance-Notification-Id", id)
                        .header("Relance-Payload-Version", "v1")
                        .header("Relance-Signature", signature(secret, Instant.now().getEpochSecond(), body))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
                    if (e != null || r.statusCode() != 200) {
                        failed.incrementAndGet();
                        firstError.compareAndSet(null, e != null ? e.toString() : "HTTP " + r.statusCode());
                    }
                    inFlight.release();
                });
                sent++;
            }
            if (!inFlight.tryAcquire(concurrency, 30, TimeUnit.SECONDS)) {
                firstError.compareAndSet(null, "requests still in flight after 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return new Result(start, sent, failed.get(), firstError.get());
    }

    /** As the service's WebhookSignature: a new Mac per request, over "t.body". */
    static String signature(String secret, long unixSeconds, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "t=" + unixSeconds + ",v1=" + hex(mac.doFinal((unixSeconds + "." + body).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] bytes) {
        StringBuilder b = new StringBuilder(bytes.length * 2);
        for (byte x : bytes) {
            b.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return b.toString();
    }
}
