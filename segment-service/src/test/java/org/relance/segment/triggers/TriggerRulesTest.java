package org.relance.segment.triggers;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;
import org.relance.segment.notifications.RetryPolicy;
import org.relance.segment.notifications.WebhookSignature;

import static org.assertj.core.api.Assertions.assertThat;

/** The rules of triggers that need no server: quiet hours, back-off, Retry-After, signatures, sealed secrets. */
class TriggerRulesTest {
    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    @Test
    void quietHoursAcrossMidnightHoldInTheStoresZoneAndEndAtTheirLocalEnd() {
        QuietHours night = new QuietHours(LocalTime.of(22, 0), LocalTime.of(8, 0), false);
        // 21:30 UTC on 1 July is 23:30 in Paris (UTC+2): quiet, until 08:00 Paris = 06:00 UTC next day.
        Instant late = Instant.parse("2025-07-01T21:30:00Z");
        assertThat(night.contains(late, PARIS)).isTrue();
        assertThat(night.endAfter(late, PARIS)).isEqualTo(Instant.parse("2025-07-02T06:00:00Z"));
        // 05:30 Paris is still quiet; it ends the same morning.
        Instant early = Instant.parse("2025-07-02T03:30:00Z");
        assertThat(night.contains(early, PARIS)).isTrue();
        assertThat(night.endAfter(early, PARIS)).isEqualTo(Instant.parse("2025-07-02T06:00:00Z"));
        // Noon in Paris is not quiet; in UTC at the same instant the answer is the same hour shifted.
        assertThat(night.contains(Instant.parse("2025-07-02T10:00:00Z"), PARIS)).isFalse();
        assertThat(night.contains(Instant.parse("2025-07-01T21:30:00Z"), ZoneId.of("UTC"))).isFalse();
    }

    @Test
    void quietHoursWithinADayExcludeTheirEnd() {
        QuietHours lunch = new QuietHours(LocalTime.of(12, 0), LocalTime.of(14, 0), true);
        assertThat(lunch.contains(Instant.parse("2025-01-10T12:00:00Z"), ZoneId.of("UTC"))).isTrue();
        assertThat(lunch.contains(Instant.parse("2025-01-10T14:00:00Z"), ZoneId.of("UTC"))).isFalse();
        assertThat(lunch.contains(Instant.parse("2025-01-10T11:59:00Z"), ZoneId.of("UTC"))).isFalse();
    }

    @Test
    void backoffDoublesUpToItsCapAndNeverUndercutsRetryAfter() {
        RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(10), Duration.ofMinutes(1), 0);
        assertThat(policy.backoff(1, null)).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.backoff(2, null)).isEqualTo(Duration.ofSeconds(20));
        assertThat(policy.backoff(3, null)).isEqualTo(Duration.ofSeconds(40));
        assertThat(policy.backoff(9, null)).isEqualTo(Duration.ofMinutes(1));
        assertThat(policy.backoff(1, Duration.ofSeconds(45))).isEqualTo(Duration.ofSeconds(45));
        RetryPolicy jittered = new RetryPolicy(Duration.ofSeconds(10), Duration.ofHours(1), 0.2);
        for (int i = 0; i < 100; i++) {
            assertThat(jittered.backoff(1, null)).isBetween(Duration.ofSeconds(8), Duration.ofSeconds(12));
        }
    }

    @Test
    void retryAfterReadsSecondsAndHttpDates() {
        Instant now = Instant.parse("2025-03-31T12:00:00Z");
        assertThat(RetryPolicy.retryAfter("7", now)).isEqualTo(Duration.ofSeconds(7));
        assertThat(RetryPolicy.retryAfter("Mon, 31 Mar 2025 12:01:30 GMT", now)).isEqualTo(Duration.ofSeconds(90));
        assertThat(RetryPolicy.retryAfter("soon", now)).isNull();
        assertThat(RetryPolicy.retryAfter(null, now)).isNull();
        assertThat(RetryPolicy.retryable(500)).isTrue();
        assertThat(RetryPolicy.retryable(429)).isTrue();
        assertThat(RetryPolicy.retryable(408)).isTrue();
        assertThat(RetryPolicy.retryable(0)).isTrue();
        assertThat(RetryPolicy.retryable(400)).isFalse();
        assertThat(RetryPolicy.retryable(410)).isFalse();
    }

    @Test
    void signatureCoversTimestampAndBody() {
        String header = WebhookSignature.header("a-webhook-secret-1234", 1_700_000_000L, "{\"a\":1}");
        assertThat(header).matches("t=1700000000,v1=[0-9a-f]{64}");
        assertThat(WebhookSignature.verify("a-webhook-secret-1234", header, "{\"a\":1}")).isTrue();
        assertThat(WebhookSignature.verify("a-webhook-secret-1234", header, "{\"a\":2}")).isFalse();
        assertThat(WebhookSignature.verify("another-secret-12345", header, "{\"a\":1}")).isFalse();
        assertThat(WebhookSignature.verify("a-webhook-secret-1234", header.replace("t=1700000000", "t=1700000001"), "{\"a\":1}")).isFalse();
    }

    @Test
    void sealedSecretsOpenOnlyWithTheSameMasterSecret() {
        SecretBox box = new SecretBox("master-secret-of-length");
        String sealed = box.seal("receiver-secret-0001");
        assertThat(sealed).doesNotContain("receiver-secret");
        assertThat(box.seal("receiver-secret-0001")).isNotEqualTo(sealed);
        assertThat(new SecretBox("master-secret-of-length").open(sealed)).isEqualTo("receiver-secret-0001");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new SecretBox("another-master-secret").open(sealed))
                .isInstanceOf(IllegalStateException.class);
    }
}
