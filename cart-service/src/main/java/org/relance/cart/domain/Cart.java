package org.relance.cart.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A tracked cart. Optional values are {@code null}: site, visitor, contact, status, total price
 * (until AddCart/UpdateCart gives it), outcome and transaction (until converted), times of
 * abandonment and conversion.
 */
public record Cart(String storeId, String cartId, String siteId, String visitorId, String contactId,
                   CartState state, String status, BigDecimal totalPrice, String currencyCode,
                   List<CartItem> items, int episode, boolean recovered, ConversionOutcome outcome,
                   String transactionId, Instant createTime, Instant updateTime, Instant abandonTime,
                   Instant convertTime, CartSource source) {

    public Cart {
        requireNonNull(storeId, "storeId");
        requireNonNull(cartId, "cartId");
        requireNonNull(state, "state");
        requireNonNull(currencyCode, "currencyCode");
        items = List.copyOf(items);
        requireNonNull(createTime, "createTime");
        requireNonNull(updateTime, "updateTime");
        source = source == null ? CartSource.CALLS : source;
    }

    /** A new, empty, active cart. */
    public static Cart create(String storeId, String cartId, String currencyCode, Instant now) {
        return new Cart(storeId, cartId, null, null, null, CartState.ACTIVE, null, null, currencyCode,
                List.of(), 0, false, null, null, now, now, null, null, CartSource.CALLS);
    }

    /** The same cart without its items (what lifecycle events carry). */
    public Cart withoutItems() {
        return toBuilder().items(List.of()).build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Copy-on-write builder, used by the rules that derive one cart state from another. */
    public static final class Builder {
        private String storeId;
        private String cartId;
        private String siteId;
        private String visitorId;
        private String contactId;
        private CartState state;
        private String status;
        private BigDecimal totalPrice;
        private String currencyCode;
        private List<CartItem> items;
        private int episode;
        private boolean recovered;
        private ConversionOutcome outcome;
        private String transactionId;
        private Instant createTime;
        private Instant updateTime;
        private Instant abandonTime;
        private Instant convertTime;
        private CartSource source;

        private Builder(Cart c) {
            storeId = c.storeId;
            cartId = c.cartId;
            siteId = c.siteId;
            visitorId = c.visitorId;
            contactId = c.contactId;
            state = c.state;
            status = c.status;
            totalPrice = c.totalPrice;
            currencyCode = c.currencyCode;
            items = c.items;
            episode = c.episode;
            recovered = c.recovered;
            outcome = c.outcome;
            transactionId = c.transactionId;
            createTime = c.createTime;
            updateTime = c.updateTime;
            abandonTime = c.abandonTime;
            convertTime = c.convertTime;
            source = c.source;
        }

        public Builder siteId(String v) { siteId = v; return this; }
        public Builder visitorId(String v) { visitorId = v; return this; }
        public Builder contactId(String v) { contactId = v; return this; }
        public Builder state(CartState v) { state = v; return this; }
        public Builder status(String v) { status = v; return this; }
        public Builder totalPrice(BigDecimal v) { totalPrice = v; return this; }
        public Builder items(List<CartItem> v) { items = v; return this; }
        public Builder episode(int v) { episode = v; return this; }
        public Builder recovered(boolean v) { recovered = v; return this; }
        public Builder outcome(ConversionOutcome v) { outcome = v; return this; }
        public Builder transactionId(String v) { transactionId = v; return this; }
        public Builder updateTime(Instant v) { updateTime = v; return this; }
        public Builder abandonTime(Instant v) { abandonTime = v; return this; }
        public Builder convertTime(Instant v) { convertTime = v; return this; }
        public Builder source(CartSource v) { source = v; return this; }

        public Cart build() {
            return new Cart(storeId, cartId, siteId, visitorId, contactId, state, status, totalPrice, currencyCode,
                    items, episode, recovered, outcome, transactionId, createTime, updateTime, abandonTime, convertTime, source);
        }
    }
}
