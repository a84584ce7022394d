package org.relance.segment.notifications;

import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The generic signed webhook: POSTs the payload JSON with {@code Relance-Notification-Id},
 * {@code Relance-Payload-Version} and {@code Relance-Signature}. The JDK client sends
 * asynchronously, so no event-loop thread waits on the receiver.
 */
@Singleton
public class WebhookProvider implements NotificationProvider {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final Clock clock;

    public WebhookProvider(Clock clock) {
        this.clock = clock;
    }

    @Override
    public Uni<Delivery> deliver(Target target, String notificationId, String body) {
        Instant now = clock.instant();
        long started = System.nanoTime();
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(URI.create(target.url())).timeout(target.timeout())
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "Relance-Webhook/1")
                    .header("Relance-Notification-Id", notificationId)
                    .header("Relance-Payload-Version", "v1")
                    .header("Relance-Signature", WebhookSignature.header(target.secret(), now.getEpochSecond(), body))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().item(new Delivery(0, "bad URL: " + e.getMessage(), null, Duration.ZERO));
        }
        return Uni.createFrom().completionStage(() -> client.sendAsync(request, HttpResponse.BodyHandlers.discarding()))
                .map(r -> {
                    Duration took = Duration.ofNanos(System.nanoTime() - started);
                    int code = r.statusCode();
                    String error = code >= 200 && code < 300 ? null : "HTTP " + code;
                    Duration after = code == 429 || code == 503
                            ? RetryPolicy.retryAfter(r.headers().firstValue("Retry-After").orElse(null), clock.instant()) : null;
                    return new Delivery(code, error, after, took);
                })
                .onFailure().recoverWithItem(e -> new Delivery(0, e instanceof HttpTimeoutException ? "timed out after "
                        + target.timeout().toMillis() + " ms" : describe(e), null, Duration.ofNanos(System.nanoTime() - started)));
    }

    private static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + t.getMessage();
        return m.length() > 300 ? m.substring(0, 300) : m;
    }
}
