package org.relance.segment.domain;

import java.time.Instant;

/**
 * A person who can be segmented and notified. Optional values are null. {@code consentState}
 * is 0 unknown, 1 granted, 2 denied, 3 withdrawn (the proto's ConsentState numbers).
 */
public record Contact(String contactId, String email, String firstName, String lastName, String phone, String company,
                      int consentState, String consentSource, Instant consentTime, Instant createTime, Instant updateTime) {
}
