package org.relance.cart.persistence;

/** Subjects of the suppression table: erased contacts and the visitors that were theirs. */
final class Suppression {
    private Suppression() {
    }

    static String contact(String contactId) {
        return "contact:" + contactId;
    }

    static String visitor(String storeId, String visitorId) {
        return "visitor:" + storeId + ":" + visitorId;
    }
}
