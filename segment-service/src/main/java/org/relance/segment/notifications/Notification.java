package org.relance.segment.notifications;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One notification of a (trigger, cart, episode, step) and where its delivery stands; the
 * attribution fields are set when the cart was bought within the window after its delivery.
 */
public record Notification(String notificationId, String triggerId, String storeId, String cartId, String contactId, int episode,
                           int step, int state, int skipReason, int attemptCount, String lastError, int lastStatusCode,
                           Instant dueTime, Instant createTime, Instant lastAttemptTime, Instant nextAttemptTime,
                           Instant completeTime, Instant deliveryStart, byte[] payload, Instant recoverTime,
                           String recoveredTransactionId, BigDecimal recoveredRevenue, String recoveredCurrency) {
}
