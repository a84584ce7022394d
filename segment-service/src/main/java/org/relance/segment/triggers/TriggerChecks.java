package org.relance.segment.triggers;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every check between an abandoned cart and a notification, in the order the service makes them,
 * each with its outcome and what was compared. Explain shows them all; the dispatcher and the
 * dry run use the first failing send-time check as the skip reason.
 */
public final class TriggerChecks {
    private TriggerChecks() {
    }

    /** The checks (same names and order as the proto's TriggerCheckKind). */
    public enum Kind {
        TRIGGER_ACTIVE, STORE, CART_ABANDONED, CONTACT_KNOWN, PRODUCTS, PRODUCT_NAME, CATEGORIES, CART_VALUE, SEGMENT_CONDITION,
        WAIT_ELAPSED, EMAIL, CONSENT, NOT_SUPPRESSED, NO_LATER_PURCHASE, OUTSIDE_QUIET_HOURS
    }

    public enum Outcome { PASSED, FAILED, NOT_APPLICABLE }

    public record Check(Kind kind, Outcome outcome, String detail) {
    }

    /** What is known about the cart's contact at the time of the checks. */
    public record ContactState(boolean known, boolean hasEmail, boolean consented, boolean suppressed, boolean boughtLater) {
    }

    /**
     * The checks for {@code cart} in {@code episode}; {@code conditionHolds} is null when the trigger
     * has no condition, {@code zone} the cart's store time zone.
     */
    public static List<Check> evaluate(Trigger t, CartFact cart, int episode, ContactState contact, Boolean conditionHolds,
                                       Instant now, ZoneId zone) {
        List<Check> checks = new ArrayList<>();
        checks.add(new Check(Kind.TRIGGER_ACTIVE, t.active() ? Outcome.PASSED : Outcome.FAILED, t.active() ? "active" : "paused"));
        boolean storeOk = t.storeId().isEmpty() || t.storeId().equals(cart.storeId());
        checks.add(new Check(Kind.STORE, t.storeId().isEmpty() ? Outcome.NOT_APPLICABLE : pass(storeOk),
                "cart of store " + cart.storeId() + (t.storeId().isEmpty() ? ", trigger of every store" : ", trigger of store " + t.storeId())));
        boolean abandoned = cart.state() == CartFact.ABANDONED && cart.episode() == episode;
        String stateWord = cart.state() == CartFact.ABANDONED ? "abandoned" : cart.state() == CartFact.CONVERTED ? "converted" : "active";
        checks.add(new Check(Kind.CART_ABANDONED, pass(abandoned), "cart " + stateWord + " in episode " + cart.episode()
                + (episode != cart.episode() ? ", episode " + episode + " is over" : "")));
        checks.add(new Check(Kind.CONTACT_KNOWN, pass(contact.known()), contact.known() ? "contact " + cart.contactId() : "anonymous cart"));
        if (t.productIds().isEmpty()) {
            checks.add(new Check(Kind.PRODUCTS, Outcome.NOT_APPLICABLE, ""));
        } else {
            boolean any = cart.items().stream().anyMatch(i -> t.productIds().contains(i.productId()));
            checks.add(new Check(Kind.PRODUCTS, pass(any), (any ? "the cart has one of " : "the cart has none of ") + t.productIds()));
        }
        if (t.productNameContains() == null || t.productNameContains().isEmpty()) {
            checks.add(new Check(Kind.PRODUCT_NAME, Outcome.NOT_APPLICABLE, ""));
        } else {
            String needle = t.productNameContains().toLowerCase(Locale.ROOT);
            boolean any = cart.items().stream().anyMatch(i -> i.productName() != null && i.productName().toLowerCase(Locale.ROOT).contains(needle));
            checks.add(new Check(Kind.PRODUCT_NAME, pass(any), (any ? "a product name contains \"" : "no product name contains \"")
                    + t.productNameContains() + "\""));
        }
        if (t.categoryIds().isEmpty()) {
            checks.add(new Check(Kind.CATEGORIES, Outcome.NOT_APPLICABLE, ""));
        } else {
            boolean any = cart.items().stream().anyMatch(i -> t.categoryIds().contains(i.categoryId()));
            checks.add(new Check(Kind.CATEGORIES, pass(any), (any ? "the cart has a product of " : "the cart has no product of ") + t.categoryIds()));
        }
        checks.add(value(t, cart));
        if (conditionHolds == null) {
            checks.add(new Check(Kind.SEGMENT_CONDITION, Outcome.NOT_APPLICABLE, ""));
        } else {
            checks.add(new Check(Kind.SEGMENT_CONDITION, pass(conditionHolds), conditionHolds ? "the contact matches" : "the contact does not match"));
        }
        if (cart.abandonTime() == null) {
            checks.add(new Check(Kind.WAIT_ELAPSED, Outcome.FAILED, "never abandoned"));
        } else {
            Instant due = cart.abandonTime().plus(t.waitTime());
            boolean elapsed = !now.isBefore(due);
            String detail = "due at " + due + (due.isBefore(t.activeSince()) ? " (before the trigger became active at " + t.activeSince() + ")" : "");
            checks.add(new Check(Kind.WAIT_ELAPSED, pass(elapsed && !due.isBefore(t.activeSince())), detail));
        }
        checks.add(new Check(Kind.EMAIL, pass(contact.hasEmail()), contact.hasEmail() ? "has an e-mail address" : "no e-mail address"));
        checks.add(new Check(Kind.CONSENT, pass(contact.consented()), contact.consented() ? "consent granted" : "no consent granted"));
        checks.add(new Check(Kind.NOT_SUPPRESSED, pass(!contact.suppressed()), contact.suppressed() ? "erased and suppressed" : "not suppressed"));
        checks.add(new Check(Kind.NO_LATER_PURCHASE, pass(!contact.boughtLater()), contact.boughtLater()
                ? "bought after the cart's last change at " + cart.updateTime() : "no purchase since the cart's last change"));
        if (t.quietHours() == null) {
            checks.add(new Check(Kind.OUTSIDE_QUIET_HOURS, Outcome.NOT_APPLICABLE, ""));
        } else {
            boolean quiet = t.quietHours().contains(now, zone);
            checks.add(new Check(Kind.OUTSIDE_QUIET_HOURS, pass(!quiet), (quiet ? "quiet until " + t.quietHours().endAfter(now, zone)
                    : "outside quiet hours") + " (" + zone + ")"));
        }
        return checks;
    }

    private static Check value(Trigger t, CartFact cart) {
        if (t.minValue() == null && t.maxValue() == null) {
            return new Check(Kind.CART_VALUE, Outcome.NOT_APPLICABLE, "");
        }
        if (cart.total() == null) {
            return new Check(Kind.CART_VALUE, Outcome.FAILED, "the cart has no TotalPrice");
        }
        String total = "cart total " + cart.total().toPlainString() + " " + cart.currencyCode();
        if (t.valueCurrency() != null && !t.valueCurrency().equals(cart.currencyCode())) {
            return new Check(Kind.CART_VALUE, Outcome.FAILED, total + " is not in " + t.valueCurrency());
        }
        String cur = t.valueCurrency() == null ? "" : " " + t.valueCurrency();
        if (t.minValue() != null && cart.total().compareTo(t.minValue()) < 0) {
            return new Check(Kind.CART_VALUE, Outcome.FAILED, total + " < min " + t.minValue().toPlainString() + cur);
        }
        if (t.maxValue() != null && cart.total().compareTo(t.maxValue()) > 0) {
            return new Check(Kind.CART_VALUE, Outcome.FAILED, total + " > max " + t.maxValue().toPlainString() + cur);
        }
        return new Check(Kind.CART_VALUE, Outcome.PASSED, total + " within " + range(t.minValue()) + ".." + range(t.maxValue()) + cur);
    }

    private static String range(BigDecimal b) {
        return b == null ? "" : b.toPlainString();
    }

    private static Outcome pass(boolean ok) {
        return ok ? Outcome.PASSED : Outcome.FAILED;
    }

    /** The skip reason a send-time failure gives, or null when every send-time check holds. */
    public static SkipReason sendTimeSkip(CartFact cart, int episode, ContactState contact, Boolean conditionHolds) {
        if (cart.state() == CartFact.CONVERTED) {
            return SkipReason.CONVERTED;
        }
        if (cart.state() != CartFact.ABANDONED || cart.episode() != episode) {
            return SkipReason.REOPENED;
        }
        if (!contact.known() || contact.suppressed()) {
            return SkipReason.SUPPRESSED;
        }
        if (!contact.hasEmail()) {
            return SkipReason.NO_EMAIL;
        }
        if (!contact.consented()) {
            return SkipReason.NO_CONSENT;
        }
        if (contact.boughtLater()) {
            return SkipReason.CONTACT_PURCHASED;
        }
        if (Boolean.FALSE.equals(conditionHolds)) {
            return SkipReason.CONDITION_NOT_MET;
        }
        return null;
    }
}
