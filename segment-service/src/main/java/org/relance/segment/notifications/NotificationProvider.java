package org.relance.segment.notifications;

import io.smallrye.mutiny.Uni;
import java.time.Duration;

/**
 * An e-mail platform that receives notifications (seed 002's IEmailProvider). Implementations
 * never fail the Uni: every outcome, network errors included, is a {@link Delivery}.
 */
public interface NotificationProvider {
    /** Where and how to deliver: URL, signing secret, time allowed. */
    record Target(String url, String secret, Duration timeout) {
    }

    /** The outcome of one attempt: status 0 when no answer came. */
    record Delivery(int statusCode, String error, Duration retryAfter, Duration took) {
        public boolean delivered() {
            return statusCode >= 200 && statusCode < 300;
        }
    }

    /** Delivers one payload (its JSON body) once. */
    Uni<Delivery> deliver(Target target, String notificationId, String body);
}
