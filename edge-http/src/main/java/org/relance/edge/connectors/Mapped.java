package org.relance.edge.connectors;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * What one webhook means for Relance, read from its payload: a contact to create or change, a cart
 * snapshot, a purchase — or nothing, with the reason. A part that cannot be applied (a checkout in
 * another currency than the store's) is left out and named in {@code refusalReason}; the other
 * parts still apply.
 *
 * @param contact       the person, or null
 * @param cart          the cart as the platform has it now, or null
 * @param purchase      the purchase, or null
 * @param ignoredReason why nothing is done (a topic or status that maps to nothing), or null
 * @param refusalReason why a part of the webhook is refused (a stable code), or null
 * @param refusalDetail the refusal for people
 */
public record Mapped(Contact contact, CartSnapshot cart, Purchase purchase, String ignoredReason, String refusalReason,
                     String refusalDetail) {

    /** A webhook that changes nothing. */
    static Mapped ignored(String reason) {
        return new Mapped(null, null, null, reason, null, null);
    }

    Mapped withRefusal(String reason, String detail) {
        return new Mapped(contact, null, null, ignoredReason, reason, detail);
    }

    /**
     * A person. {@code consent} is {@code granted}, {@code denied}, {@code withdrawn}, or null when
     * the payload says nothing that should change the stored consent. {@code authoritative}: the
     * platform's customer record, whose names and phone replace the stored ones; a buyer's names
     * (checkout, order) only fill what the contact does not have yet.
     */
    public record Contact(String email, String firstName, String lastName, String phone, String consent,
                          String consentSource, Instant consentTime, boolean authoritative) {
    }

    /** One product line, lines of the same product merged; {@code imageUrl} when the payload has one, else null. */
    public record Line(String productId, String productName, BigDecimal unitPrice, int quantity, BigDecimal total, String imageUrl) {
    }

    /**
     * A cart as the platform has it now; applied as a whole (set the total, clear the lines, add
     * them), because webhooks carry snapshots, not changes.
     */
    public record CartSnapshot(String cartId, String currency, BigDecimal total, String status, List<Line> lines,
                               String returnUrl, Instant sourceUpdateTime) {
    }

    /** A purchase, converting {@code cartId} when there is one. */
    public record Purchase(String transactionId, String cartId, String currency, BigDecimal revenue, BigDecimal tax,
                           BigDecimal shipping, List<Line> lines, Instant occurTime, String affiliation) {
    }
}
