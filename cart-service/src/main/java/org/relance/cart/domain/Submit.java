package org.relance.cart.domain;

import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One SubmitCart: operations applied in order, atomically, once per {@code submitId}.
 * {@code fingerprint} identifies the content, so that a reused id with other content is refused.
 * {@code siteId}, {@code visitorId} and {@code contactId} may be null.
 * {@code currencyFields} names every amount given with an explicit currency (field path to code):
 * each must be the store's currency.
 */
public record Submit(String storeId, String submitId, String siteId, String visitorId, String contactId,
                     List<CartOperation> operations, byte[] fingerprint, Map<String, String> currencyFields) {
    public Submit {
        requireNonNull(storeId, "storeId");
        requireNonNull(submitId, "submitId");
        operations = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(operations));
        requireNonNull(fingerprint, "fingerprint");
        currencyFields = Map.copyOf(currencyFields);
    }
}
