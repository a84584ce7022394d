package org.relance.segment.property;

import com.google.protobuf.Timestamp;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.relance.api.common.v1.Money;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.kit.url.UrlPattern;

/**
 * A deliberately plain, in-memory reading of DESIGN §6 (and of the comments of
 * {@code segment_condition.proto}), written from their meaning and not from the production SQL.
 * It evaluates a proto {@link SegmentCondition} tree for one contact of a {@link World}.
 *
 * <p>The meaning chosen, where the texts leave room:
 * <ul>
 *   <li><b>Scope.</b> A question has a store scope ({@code ""}: every store). A leaf that names a
 *   store ({@code has_abandoned_cart}, {@code has_recovered_cart}, {@code has_purchased}) is read in
 *   that store; a leaf without one is read in the question's scope. The "last abandoned cart"
 *   leaves have no store of their own: they always use the question's scope.</li>
 *   <li><b>Has abandoned cart</b>: some cart in scope is in state ABANDONED now (a cart reopened by
 *   a change, or converted, no longer counts).</li>
 *   <li><b>Has recovered cart</b>: some cart in scope was converted after having been abandoned
 *   (the cart service's {@code recovered} flag). It belongs to the cart's contact, whoever bought.</li>
 *   <li><b>Last abandoned cart</b>: among the contact's carts in scope that are still ABANDONED, the
 *   one with the latest abandon time. DESIGN does not say how to break a tie (the sweeper marks
 *   many carts with one timestamp); the chosen order is abandon time, then store id, then cart id,
 *   all descending. Every "last" leaf is false for a contact without such a cart.</li>
 *   <li><b>Value</b>: compares the cart's TotalPrice with the amount, exactly. With a currency code
 *   on the amount, a cart in another currency never matches; without one, only the numbers are
 *   compared. A cart without a TotalPrice never matches (whatever the operator).</li>
 *   <li><b>Number of products</b>: the number of product lines (not quantities).</li>
 *   <li><b>Product name</b>: case-insensitive (both sides lower-cased with {@link Locale#ROOT},
 *   i.e. Unicode case mapping, so "ÉCRAN" and "écran" are the same text). IS / CONTAINS: some line
 *   matches; IS_NOT / DOES_NOT_CONTAIN: no line matches (true for a cart without lines).</li>
 *   <li><b>Status</b>: the proto says the equality operator is "always case-insensitive" and "an
 *   empty status is compared as the empty text": a cart without status has status {@code ""}.</li>
 *   <li><b>Has purchased</b>: some purchase (a transaction naming this contact as buyer) in scope
 *   with occur time at or after {@code since} (or any when unset).</li>
 *   <li><b>Visited URL</b> (seed 004): the contact's page views in scope (the leaf's store, else the
 *   question's) whose normalised URL the pattern matches ({@link UrlPattern#matches}, the Java form
 *   of the syntax: the service matches in SQL), on a UTC day from today − (within_days − 1), or from
 *   the UTC day of {@code since}; at least {@code min_count} of them (0 means 1). Views of a visitor
 *   made before it was identified are the contact's.</li>
 *   <li><b>Has URL-tracked purchase</b>: some URL-tracked cart of the contact in scope was converted
 *   (a thank-you page after the cart page), at or after {@code since} when given.</li>
 *   <li><b>NOT / AND / OR</b>: plain boolean logic over known contacts; a known contact without any
 *   fact fails every leaf, so NOT of a leaf holds for it.</li>
 * </ul>
 */
public final class ReferenceEvaluator {

    /** Lifecycle state of a cart. */
    public enum State {
        ACTIVE, ABANDONED, CONVERTED
    }

    /**
     * A cart as the cart service holds it. {@code total} is null when no TotalPrice was ever given;
     * {@code status} is {@code ""} when none; {@code abandonTime} is null when never abandoned.
     */
    public record CartModel(String storeId, String cartId, String contactId, State state, BigDecimal total, String currency,
                            List<String> productNames, String status, Instant abandonTime, boolean recovered) {
        public CartModel {
            productNames = List.copyOf(productNames);
            status = status == null ? "" : status;
        }
    }

    /** A purchase (transaction) of a contact. */
    public record PurchaseModel(String storeId, String transactionId, String contactId, Instant occurTime) {
    }

    /** A page view of a contact, its URL normalised, on a UTC day. */
    public record PageViewModel(String storeId, String contactId, String url, LocalDate day) {
    }

    /** A URL-tracked purchase (a converted URL-tracked cart) of a contact. */
    public record UrlPurchaseModel(String storeId, String cartId, String contactId, Instant time) {
    }

    /** The known contacts with their carts and purchases. */
    public static final class World {
        private final Set<String> contacts = new LinkedHashSet<>();
        private final Map<String, List<CartModel>> carts = new LinkedHashMap<>();
        private final Map<String, List<PurchaseModel>> purchases = new LinkedHashMap<>();
        private final Map<String, List<PageViewModel>> views = new LinkedHashMap<>();
        private final Map<String, List<UrlPurchaseModel>> urlPurchases = new LinkedHashMap<>();

        public void addView(PageViewModel view) {
            contacts.add(view.contactId());
            views.computeIfAbsent(view.contactId(), k -> new ArrayList<>()).add(view);
        }

        public void addUrlPurchase(UrlPurchaseModel purchase) {
            contacts.add(purchase.contactId());
            urlPurchases.computeIfAbsent(purchase.contactId(), k -> new ArrayList<>()).add(purchase);
        }

        public List<PageViewModel> views(String contactId) {
            return views.getOrDefault(contactId, List.of());
        }

        public List<UrlPurchaseModel> urlPurchases(String contactId) {
            return urlPurchases.getOrDefault(contactId, List.of());
        }

        public void addContact(String contactId) {
            contacts.add(contactId);
        }

        public void addCart(CartModel cart) {
            contacts.add(cart.contactId());
            carts.computeIfAbsent(cart.contactId(), k -> new ArrayList<>()).add(cart);
        }

        public void addPurchase(PurchaseModel purchase) {
            contacts.add(purchase.contactId());
            purchases.computeIfAbsent(purchase.contactId(), k -> new ArrayList<>()).add(purchase);
        }

        public Set<String> contacts() {
            return contacts;
        }

        public List<CartModel> carts(String contactId) {
            return carts.getOrDefault(contactId, List.of());
        }

        public List<PurchaseModel> purchases(String contactId) {
            return purchases.getOrDefault(contactId, List.of());
        }
    }

    private static final Comparator<CartModel> RECENCY = Comparator.comparing(CartModel::abandonTime)
            .thenComparing(CartModel::storeId).thenComparing(CartModel::cartId);

    private final World world;
    private final LocalDate today;

    public ReferenceEvaluator(World world) {
        this(world, LocalDate.now(ZoneOffset.UTC));
    }

    /** {@code today}: the UTC day "within_days" counts back from. */
    public ReferenceEvaluator(World world, LocalDate today) {
        this.world = world;
        this.today = today;
    }

    /** The contacts of the world that match {@code condition} in the scope {@code storeScope} ("" for all). */
    public Set<String> matching(SegmentCondition condition, String storeScope) {
        Set<String> result = new LinkedHashSet<>();
        for (String contact : world.contacts()) {
            if (matches(contact, condition, storeScope)) {
                result.add(contact);
            }
        }
        return result;
    }

    /** Whether {@code contactId} matches {@code condition} in the scope {@code storeScope} ("" for all). */
    public boolean matches(String contactId, SegmentCondition condition, String storeScope) {
        switch (condition.getConditionCase()) {
            case AND_CONDITION: {
                for (SegmentCondition c : condition.getAndCondition().getConditionsList()) {
                    if (!matches(contactId, c, storeScope)) {
                        return false;
                    }
                }
                return true;
            }
            case OR_CONDITION: {
                for (SegmentCondition c : condition.getOrCondition().getConditionsList()) {
                    if (matches(contactId, c, storeScope)) {
                        return true;
                    }
                }
                return false;
            }
            case NOT_CONDITION:
                return !matches(contactId, condition.getNotCondition().getCondition(), storeScope);
            case HAS_ABANDONED_CART: {
                String store = scope(condition.getHasAbandonedCart().getStoreId(), storeScope);
                return world.carts(contactId).stream().anyMatch(c -> inScope(c.storeId(), store) && c.state() == State.ABANDONED);
            }
            case HAS_RECOVERED_CART: {
                String store = scope(condition.getHasRecoveredCart().getStoreId(), storeScope);
                return world.carts(contactId).stream().anyMatch(c -> inScope(c.storeId(), store) && c.recovered());
            }
            case HAS_PURCHASED: {
                SegmentCondition.HasPurchased h = condition.getHasPurchased();
                String store = scope(h.getStoreId(), storeScope);
                Instant since = h.hasSince() ? instant(h.getSince()) : null;
                return world.purchases(contactId).stream()
                        .anyMatch(p -> inScope(p.storeId(), store) && (since == null || !p.occurTime().isBefore(since)));
            }
            case VISITED_URL: {
                SegmentCondition.VisitedUrl v = condition.getVisitedUrl();
                String store = scope(v.getStoreId(), storeScope);
                UrlPattern pattern = UrlPattern.parse(v.getUrlPattern());
                LocalDate from = v.getWithinDays() > 0 ? today.minusDays(v.getWithinDays() - 1L)
                        : v.hasSince() ? LocalDate.ofInstant(instant(v.getSince()), ZoneOffset.UTC) : null;
                long seen = world.views(contactId).stream()
                        .filter(view -> inScope(view.storeId(), store) && (from == null || !view.day().isBefore(from))
                                && pattern.matches(view.url()))
                        .count();
                return seen >= Math.max(1, v.getMinCount());
            }
            case HAS_URL_TRACKED_PURCHASE: {
                SegmentCondition.HasUrlTrackedPurchase h = condition.getHasUrlTrackedPurchase();
                String store = scope(h.getStoreId(), storeScope);
                Instant since = h.hasSince() ? instant(h.getSince()) : null;
                return world.urlPurchases(contactId).stream()
                        .anyMatch(p -> inScope(p.storeId(), store) && (since == null || !p.time().isBefore(since)));
            }
            case LAST_ABANDONED_CART_VALUE: {
                SegmentCondition.LastAbandonedCartValue v = condition.getLastAbandonedCartValue();
                Optional<CartModel> last = lastAbandoned(contactId, storeScope);
                if (last.isEmpty() || last.get().total() == null) {
                    return false;
                }
                String currency = v.getAmount().getCurrencyCode();
                if (!currency.isEmpty() && !currency.equals(last.get().currency())) {
                    return false;
                }
                return compare(v.getOperatorValue(), last.get().total().compareTo(decimal(v.getAmount())));
            }
            case LAST_ABANDONED_CART_PRODUCT_COUNT: {
                SegmentCondition.LastAbandonedCartProductCount n = condition.getLastAbandonedCartProductCount();
                Optional<CartModel> last = lastAbandoned(contactId, storeScope);
                return last.isPresent() && compare(n.getOperatorValue(), Long.compare(last.get().productNames().size(), n.getCount()));
            }
            case LAST_ABANDONED_CART_PRODUCT_NAME: {
                SegmentCondition.LastAbandonedCartProductName n = condition.getLastAbandonedCartProductName();
                Optional<CartModel> last = lastAbandoned(contactId, storeScope);
                if (last.isEmpty()) {
                    return false;
                }
                String text = lower(n.getText());
                List<String> names = last.get().productNames().stream().map(ReferenceEvaluator::lower).toList();
                switch (n.getOperator()) {
                    case TEXT_OPERATOR_IS:
                        return names.stream().anyMatch(text::equals);
                    case TEXT_OPERATOR_IS_NOT:
                        return names.stream().noneMatch(text::equals);
                    case TEXT_OPERATOR_CONTAINS:
                        return names.stream().anyMatch(name -> name.contains(text));
                    case TEXT_OPERATOR_DOES_NOT_CONTAIN:
                        return names.stream().noneMatch(name -> name.contains(text));
                    default:
                        throw new IllegalArgumentException("operator " + n.getOperator());
                }
            }
            case LAST_ABANDONED_CART_STATUS: {
                SegmentCondition.LastAbandonedCartStatus s = condition.getLastAbandonedCartStatus();
                Optional<CartModel> last = lastAbandoned(contactId, storeScope);
                if (last.isEmpty()) {
                    return false;
                }
                boolean equal = lower(last.get().status()).equals(lower(s.getText()));
                switch (s.getOperator()) {
                    case EQUALITY_OPERATOR_IS:
                        return equal;
                    case EQUALITY_OPERATOR_IS_NOT:
                        return !equal;
                    default:
                        throw new IllegalArgumentException("operator " + s.getOperator());
                }
            }
            default:
                throw new IllegalArgumentException("no condition in " + condition);
        }
    }

    /** The contact's last abandoned cart in the scope ("" for all stores). */
    public Optional<CartModel> lastAbandoned(String contactId, String storeScope) {
        return world.carts(contactId).stream()
                .filter(c -> inScope(c.storeId(), storeScope) && c.state() == State.ABANDONED)
                .max(RECENCY);
    }

    private static String scope(String leafStore, String questionScope) {
        return leafStore.isEmpty() ? questionScope : leafStore;
    }

    private static boolean inScope(String storeId, String scope) {
        return scope.isEmpty() || scope.equals(storeId);
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    private static boolean compare(int operator, int comparison) {
        switch (operator) {
            case 1:
                return comparison == 0;
            case 2:
                return comparison != 0;
            case 3:
                return comparison > 0;
            case 4:
                return comparison >= 0;
            case 5:
                return comparison < 0;
            case 6:
                return comparison <= 0;
            default:
                throw new IllegalArgumentException("operator " + operator);
        }
    }

    /** An exact decimal of a Money. */
    public static BigDecimal decimal(Money m) {
        return new BigDecimal(m.getUnits()).add(BigDecimal.valueOf(m.getNanos(), 9));
    }

    public static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }
}
