package org.relance.cart.persistence;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.relance.cart.domain.Cart;
import org.relance.cart.domain.CartEventType;
import org.relance.cart.domain.CartSource;
import org.relance.cart.domain.CartState;
import org.relance.cart.domain.ConversionOutcome;
import org.relance.cart.domain.PageKind;
import org.relance.cart.domain.PageView;
import org.relance.cart.domain.PageViewCall;
import org.relance.cart.domain.Site;
import org.relance.cart.domain.TrackingMode;
import org.relance.cart.persistence.GroupCommit.Pending;
import org.relance.kit.db.Database;
import org.relance.kit.db.Sql;
import org.relance.kit.error.NotFoundException;
import org.relance.kit.error.RuleViolationException;
import org.relance.kit.time.Instants;
import reactor.core.publisher.Mono;

/**
 * Records page views with group commit (calls that arrive while a commit is in flight are
 * written together in the next transaction) and applies each site's URL journey:
 * <ul>
 * <li>a cart-page view opens the visitor's URL-tracked cart ("url-" + view id), or touches the
 *     open one (reopening it when abandoned) — unless the visitor has a cart tracked by cart
 *     calls changed within the store's URL purchase window: one visit never gets two carts;</li>
 * <li>a thank-you page view within that window after the URL-tracked cart's last cart-page
 *     view converts it ("url:" + view id as its transaction), recovered if it had been abandoned.</li>
 * </ul>
 * The visitor's advisory lock orders this with submits and links of the same visitor.
 */
@Singleton
public class PageViewWriter {
    private static final int MAX_BATCH = 200;

    private final Database database;
    private final Clock clock;
    private final PageEventLog pageEvents;
    private final CartEventLog cartEvents;
    private final GroupCommit<PageViewCall, PageViewCall.Result> commits;
    private final Counter recorded;

    public PageViewWriter(Database database, Clock clock, PageEventLog pageEvents, CartEventLog cartEvents,
                          MeterRegistry registry) {
        this.database = database;
        this.clock = clock;
        this.pageEvents = pageEvents;
        this.cartEvents = cartEvents;
        this.recorded = Counter.builder("relance.cart.page.views").description("Page views recorded (repeats excluded)")
                .register(registry);
        this.commits = new GroupCommit<>("page view call", database, MAX_BATCH, 1, PageViewCall.Result.class, this::writeIn,
                size -> { }, outcome -> {
                    if (outcome instanceof PageViewCall.Result r) {
                        recorded.increment(r.recorded());
                    }
                });
    }

    private record Key(String storeId, String id) {
    }

    private record SiteRow(Site site, String currency, Duration window) {
    }

    /** Records a validated call; completes after its transaction committed. */
    public Uni<PageViewCall.Result> record(PageViewCall call) {
        return commits.submit(call);
    }

    private Mono<Void> writeIn(Connection c, List<Pending<PageViewCall, PageViewCall.Result>> batch,
                               Map<Pending<PageViewCall, PageViewCall.Result>, Object> outcomes) {
        Instant now = Instants.now(clock);
        Set<String> siteIds = new LinkedHashSet<>();
        batch.forEach(p -> siteIds.add(p.request().siteId()));
        Map<String, SiteRow> sites = new HashMap<>();
        Set<String> suppressed = new HashSet<>();
        Map<Key, String> links = new HashMap<>();
        Set<List<String>> seen = new HashSet<>();
        Map<Key, List<Cart>> openCarts = new HashMap<>();

        Mono<Void> readSites = Sql.query(c, "SELECT s.site_id, s.store_id, s.display_name, s.site_key, s.allowed_origins, "
                        + "s.tracking_mode, s.restore_url, s.page_views_disabled, s.cart_page_pattern, s.thank_you_page_pattern, "
                        + "s.create_time, s.update_time, t.currency_code, t.url_purchase_window_seconds "
                        + "FROM site s JOIN store t ON t.store_id = s.store_id WHERE s.site_id = ANY($1::text[])",
                row -> {
                    Site site = StoreRepository.site(row);
                    sites.put(site.siteId(), new SiteRow(site, row.get("currency_code", String.class),
                            Duration.ofSeconds(row.get("url_purchase_window_seconds", Long.class))));
                    return site;
                }, (Object) siteIds.toArray(String[]::new)).then();

        return readSites.then(Mono.defer(() -> {
            TreeSet<Long> lockKeys = new TreeSet<>();
            Set<Key> visitors = new LinkedHashSet<>();
            Set<String> subjects = new LinkedHashSet<>();
            List<String[]> viewKeys = new ArrayList<>();
            boolean journeys = false;
            for (Pending<PageViewCall, PageViewCall.Result> p : batch) {
                SiteRow s = sites.get(p.request().siteId());
                if (s == null) {
                    continue;
                }
                String storeId = s.site().storeId();
                journeys |= s.site().hasUrlJourney();
                if (visitors.add(new Key(storeId, p.request().visitorId()))) {
                    lockKeys.add(CartLocks.visitorKey(storeId, p.request().visitorId()));
                }
                subjects.add(Suppression.visitor(storeId, p.request().visitorId()));
                if (p.request().contactId() != null) {
                    subjects.add(Suppression.contact(p.request().contactId()));
                }
                p.request().views().forEach(v -> viewKeys.add(new String[] {storeId, p.request().visitorId(), v.viewId()}));
            }
            if (visitors.isEmpty()) {
                batch.forEach(p -> outcomes.put(p, siteMissing(p.request().siteId())));
                return Mono.empty();
            }
            String[] vStores = visitors.stream().map(Key::storeId).toArray(String[]::new);
            String[] vIds = visitors.stream().map(Key::id).toArray(String[]::new);
            Mono<Void> reads = CartLocks.lockAll(c, lockKeys)
                    .thenMany(Sql.query(c, "SELECT subject FROM suppression WHERE subject = ANY($1::text[])",
                            row -> suppressed.add(row.get("subject", String.class)), (Object) subjects.toArray(String[]::new)))
                    .thenMany(Sql.query(c, "SELECT store_id, visitor_id, contact_id FROM visitor_contact WHERE (store_id, visitor_id) IN "
                                    + "(SELECT * FROM unnest($1::text[], $2::text[]))",
                            row -> {
                                Key k = new Key(row.get("store_id", String.class), row.get("visitor_id", String.class));
                                links.put(k, row.get("contact_id", String.class));
                                return k;
                            }, vStores, vIds))
                    .thenMany(Sql.query(c, "SELECT store_id, visitor_id, view ->> 'view_id' AS view_id FROM page_event "
                                    + "WHERE event_type = 1 AND (store_id, visitor_id, view ->> 'view_id') IN "
                                    + "(SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))",
                            row -> seen.add(List.of(row.get("store_id", String.class), row.get("visitor_id", String.class),
                                    row.get("view_id", String.class))),
                            viewKeys.stream().map(k -> k[0]).toArray(String[]::new),
                            viewKeys.stream().map(k -> k[1]).toArray(String[]::new),
                            viewKeys.stream().map(k -> k[2]).toArray(String[]::new)))
                    .thenMany(!journeys ? Mono.empty() : Sql.query(c, "SELECT " + CartRows.COLUMNS + " FROM cart "
                                    + "WHERE (store_id, visitor_id) IN (SELECT * FROM unnest($1::text[], $2::text[])) "
                                    + "AND state IN (1, 2) ORDER BY update_time FOR UPDATE",
                            CartRows::map, vStores, vIds)
                            .doOnNext(cart -> openCarts.computeIfAbsent(new Key(cart.storeId(), cart.visitorId()),
                                    k -> new ArrayList<>()).add(cart)))
                    .then();
            return reads.then(Mono.defer(() -> {
                List<PageView> views = new ArrayList<>();
                Map<Key, Cart> dirty = new java.util.LinkedHashMap<>();
                List<CartEventLog.NewEvent> events = new ArrayList<>();
                for (Pending<PageViewCall, PageViewCall.Result> p : batch) {
                    try {
                        outcomes.put(p, apply(p.request(), now, sites, suppressed, links, seen, openCarts, views, dirty, events));
                    } catch (RuntimeException e) {
                        outcomes.put(p, e);
                    }
                }
                if (views.isEmpty()) {
                    return Mono.empty();
                }
                // Page events before cart events: every writer takes the two counters in this order.
                return pageEvents.appendViews(c, views, now)
                        .then(dirty.isEmpty() ? Mono.empty() : CartRows.upsertAll(c, dirty.values()))
                        .then(events.isEmpty() ? Mono.empty() : cartEvents.append(c, events))
                        .then();
            }));
        }));
    }

    private PageViewCall.Result apply(PageViewCall call, Instant now, Map<String, SiteRow> sites, Set<String> suppressed,
                                      Map<Key, String> links, Set<List<String>> seen, Map<Key, List<Cart>> openCarts,
                                      List<PageView> views, Map<Key, Cart> dirty, List<CartEventLog.NewEvent> events) {
        SiteRow s = sites.get(call.siteId());
        if (s == null) {
            throw siteMissing(call.siteId());
        }
        Site site = s.site();
        String storeId = site.storeId();
        Key visitor = new Key(storeId, call.visitorId());
        String contactId = call.contactId() != null ? call.contactId() : links.get(visitor);
        if (suppressed.contains(Suppression.visitor(storeId, call.visitorId()))
                || (contactId != null && suppressed.contains(Suppression.contact(contactId)))) {
            throw new RuleViolationException(SubmitWriter.CONTACT_SUPPRESSED, "this contact was erased and is no longer tracked");
        }
        int recorded = 0;
        int repeated = 0;
        Set<String> cartIds = new LinkedHashSet<>();
        List<String> converted = new ArrayList<>();
        List<Cart> open = openCarts.computeIfAbsent(visitor, k -> new ArrayList<>());
        for (PageViewCall.View v : call.views()) {
            if (!seen.add(List.of(storeId, call.visitorId(), v.viewId()))) {
                repeated++;
                continue;
            }
            Instant when = v.viewTime() != null ? Instants.micros(v.viewTime()) : now;
            PageKind kind = PageKind.of(site, v.url());
            views.add(new PageView(v.viewId(), v.url(), v.referrer(), v.title(), when, storeId, site.siteId(),
                    call.visitorId(), contactId, kind));
            recorded++;
            if (kind == PageKind.OTHER || site.trackingMode() == TrackingMode.TRANSACTIONS_ONLY) {
                continue;
            }
            Cart urlCart = open.stream().filter(cart -> cart.source() == CartSource.URL).reduce((a, b) -> b).orElse(null);
            if (kind == PageKind.CART) {
                boolean calledCart = open.stream().anyMatch(cart -> cart.source() == CartSource.CALLS
                        && !cart.updateTime().isBefore(when.minus(s.window())));
                if (calledCart) {
                    continue;
                }
                Cart next;
                CartEventType type;
                if (urlCart == null) {
                    next = Cart.create(storeId, "url-" + v.viewId(), s.currency(), when).toBuilder()
                            .source(CartSource.URL).siteId(site.siteId()).visitorId(call.visitorId()).contactId(contactId).build();
                    type = CartEventType.CREATED;
                } else {
                    type = urlCart.state() == CartState.ABANDONED ? CartEventType.REOPENED : CartEventType.CHANGED;
                    next = urlCart.toBuilder().state(CartState.ACTIVE).siteId(site.siteId())
                            .contactId(urlCart.contactId() != null ? urlCart.contactId() : contactId)
                            .updateTime(when.isAfter(urlCart.updateTime()) ? when : urlCart.updateTime()).build();
                    open.remove(urlCart);
                }
                open.add(next);
                dirty.put(new Key(storeId, next.cartId()), next);
                events.add(new CartEventLog.NewEvent(type, now, next));
                cartIds.add(next.cartId());
            } else if (urlCart != null && !when.isAfter(urlCart.updateTime().plus(s.window()))) {
                ConversionOutcome outcome = urlCart.state() == CartState.ABANDONED || urlCart.episode() > 0
                        ? ConversionOutcome.RECOVERED : ConversionOutcome.CONVERTED;
                Cart done = urlCart.toBuilder().state(CartState.CONVERTED).outcome(outcome)
                        .recovered(outcome == ConversionOutcome.RECOVERED).transactionId("url:" + v.viewId())
                        .convertTime(when).contactId(urlCart.contactId() != null ? urlCart.contactId() : contactId).build();
                open.remove(urlCart);
                dirty.put(new Key(storeId, done.cartId()), done);
                events.add(new CartEventLog.NewEvent(CartEventType.CONVERTED, now, done.withoutItems()));
                converted.add(done.cartId());
            }
        }
        return new PageViewCall.Result(recorded, repeated, List.copyOf(cartIds), converted);
    }

    private static NotFoundException siteMissing(String siteId) {
        return new NotFoundException("site " + siteId + " does not exist");
    }
}
