package org.relance.edge.connectors;

import java.time.Instant;

/**
 * One accepted webhook in the inbox.
 *
 * @param inboxId         its row
 * @param siteId          the connector's site
 * @param storeId         the site's store
 * @param siteKey         the site's key
 * @param platform        the platform
 * @param deliveryId      the platform's delivery id (or a hash of the body when it sent none)
 * @param dedupKey        what makes a repeat the same delivery
 * @param topic           the platform's topic ({@code checkouts/update}, {@code order.updated})
 * @param payload         the verified raw body (empty once listed without it)
 * @param state           pending, done, ignored, refused, failed
 * @param attempts        how many times the worker took it
 * @param outcome         what happened, as a stable code (or the last retryable failure)
 * @param detail          the outcome for people
 * @param receiveTime     when it arrived
 * @param nextAttemptTime when the worker takes it next (pending only)
 * @param finishTime      when it reached its final state
 */
public record Delivery(long inboxId, String siteId, String storeId, String siteKey, Platform platform, String deliveryId,
                       String dedupKey, String topic, byte[] payload, String state, int attempts, String outcome, String detail,
                       Instant receiveTime, Instant nextAttemptTime, Instant finishTime) {

    public static final String PENDING = "pending";
    public static final String DONE = "done";
    public static final String IGNORED = "ignored";
    public static final String REFUSED = "refused";
    public static final String FAILED = "failed";
}
