package org.relance.edge.ingest;

import java.time.Instant;
import java.util.List;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.transaction.v1.Transaction;

/** One submit of a batch, checked: something to apply, or a refusal. */
public sealed interface Submit permits Submit.Cart, Submit.Purchase, Submit.Identify, Submit.PageView, Submit.Invalid {

    /** The submit's id (may be null for an invalid submit without one). */
    String id();

    /** Its JSON as received, kept with a refusal. */
    String json();

    /** Cart operations in page order (SubmitCart). */
    record Cart(String id, List<CartOperation> operations, String json) implements Submit {
    }

    /** A transaction with its items, without store, site or buyer (SubmitTransaction). */
    record Purchase(String id, Transaction transaction, String json) implements Submit {
    }

    /** Identify: a contact id or an e-mail, and optional names. */
    record Identify(String id, String contactId, String email, String firstName, String lastName, String json) implements Submit {
    }

    /**
     * A page view (seed 004); its id is the view's id. {@code viewTime} is when the browser showed
     * the page, null when the tracker did not say.
     */
    record PageView(String id, String url, String referrer, String title, Instant viewTime, String json) implements Submit {
    }

    /** A submit refused by the edge's own checks. */
    record Invalid(String id, String kind, String reason, String field, String message, String json) implements Submit {
    }
}
