package org.relance.segment.notifications;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ThreadLocalRandom;

/** When to try a failed delivery again. */
public final class RetryPolicy {
    private final Duration initial;
    private final Duration max;
    private final double jitter;

    public RetryPolicy(Duration initial, Duration max, double jitter) {
        this.initial = initial;
        this.max = max;
        this.jitter = Math.max(0, Math.min(1, jitter));
    }

    /** Whether an HTTP answer is worth another attempt (408, 429, 5xx; 0 means no answer came). */
    public static boolean retryable(int status) {
        return status == 0 || status == 408 || status == 429 || status >= 500;
    }

    /**
     * The back-off after {@code attempts} failed attempts: initial × 2^(attempts-1), capped, ± jitter;
     * never shorter than what the receiver asked with Retry-After.
     */
    public Duration backoff(int attempts, Duration retryAfter) {
        double base = initial.toMillis() * Math.pow(2, Math.min(30, Math.max(0, attempts - 1)));
        base = Math.min(base, max.toMillis());
        double spread = base * jitter;
        long millis = Math.round(base - spread + ThreadLocalRandom.current().nextDouble() * 2 * spread);
        Duration d = Duration.ofMillis(Math.max(1, millis));
        return retryAfter != null && retryAfter.compareTo(d) > 0 ? retryAfter : d;
    }

    /** A Retry-After header: delay-seconds or an HTTP date; null when absent or unreadable. */
    public static Duration retryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.strip();
        try {
            long seconds = Long.parseLong(h);
            return seconds < 0 ? null : Duration.ofSeconds(Math.min(seconds, 86_400));
        } catch (NumberFormatException e) {
            try {
                Instant at = ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
            } catch (DateTimeParseException ignored) {
                return null;
            }
        }
    }
}
