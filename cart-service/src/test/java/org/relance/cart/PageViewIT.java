package org.relance.cart;

import com.google.protobuf.FieldMask;
import com.google.protobuf.Timestamp;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.Cart;
import org.relance.api.cart.v1.CartSource;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.CreateSiteRequest;
import org.relance.api.cart.v1.EraseContactCartsRequest;
import org.relance.api.cart.v1.EraseContactCartsResponse;
import org.relance.api.cart.v1.GetSiteRequest;
import org.relance.api.cart.v1.LinkVisitorRequest;
import org.relance.api.cart.v1.ListCartsRequest;
import org.relance.api.cart.v1.ListPageViewsRequest;
import org.relance.api.cart.v1.PageEvent;
import org.relance.api.cart.v1.PageEventType;
import org.relance.api.cart.v1.PageKind;
import org.relance.api.cart.v1.PageView;
import org.relance.api.cart.v1.PageViewServiceGrpc;
import org.relance.api.cart.v1.RecordPageViewsRequest;
import org.relance.api.cart.v1.RecordPageViewsResponse;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.TestUrlPatternRequest;
import org.relance.api.cart.v1.TestUrlPatternResponse;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.api.cart.v1.UpdateSiteRequest;
import org.relance.api.cart.v1.UpdateStoreRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.WatchPageEventsRequest;
import org.relance.api.cart.v1.WatchPageEventsResponse;
import org.relance.cart.lifecycle.AbandonmentSweeper;
import org.relance.cart.lifecycle.RetentionPurge;
import org.relance.cart.support.CartApi;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.time.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.relance.cart.support.CartApi.addCart;
import static org.relance.cart.support.CartApi.newId;
import static org.relance.cart.support.CartApi.reason;
import static org.relance.cart.support.CartApi.violations;

/** Page views and URL journeys (seed 004) through the real gRPC service, with a controllable clock. */
@QuarkusTest
class PageViewIT {
    private static final String SHOP = "https://shop.example";

    @Inject
    MutableClock clock;
    @Inject
    AbandonmentSweeper sweeper;
    @Inject
    RetentionPurge purge;

    private CartApi api;
    private String store;
    private String site;

    @BeforeEach
    void setUp() {
        api = new CartApi();
        store = api.newStore();
        site = newSite(store, "/shop/cart*", "/shop/thank-you*", TrackingMode.TRACKING_MODE_CARTS_AND_TRANSACTIONS);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        api.close();
    }

    private String newSite(String storeId, String cartPattern, String thanksPattern, TrackingMode mode) {
        String id = newId("site-");
        api.stores.createSite(CreateSiteRequest.newBuilder().setSite(Site.newBuilder().setSiteId(id).setStoreId(storeId)
                .addAllowedOrigins(SHOP).setTrackingMode(mode).setCartPagePattern(cartPattern)
                .setThankYouPagePattern(thanksPattern)).build());
        return id;
    }

    private static PageView view(String url) {
        return PageView.newBuilder().setViewId(newId("v-")).setUrl(url).setTitle("Page " + url).build();
    }

    private RecordPageViewsResponse record(String siteId, String visitor, PageView... views) {
        return api.pageViews.recordPageViews(RecordPageViewsRequest.newBuilder().setSiteId(siteId).setVisitorId(visitor)
                .addAllPageViews(List.of(views)).build());
    }

    private List<PageView> viewsOf(String visitor) {
        return api.pageViews.listPageViews(ListPageViewsRequest.newBuilder().setStoreId(store).setVisitorId(visitor).build())
                .getPageViewsList();
    }

    private List<Cart> cartsOf(String visitor) {
        return api.carts.listCarts(ListCartsRequest.newBuilder().setStoreId(store).setVisitorId(visitor).build()).getCartsList();
    }

    private void sweep() {
        sweeper.sweep().await().atMost(Duration.ofSeconds(30));
    }

    @Test
    void viewsAreStoredNormalisedOnceAndListedNewestFirst() {
        String visitor = newId("vis-");
        PageView home = view(SHOP + "/?utm_source=mail#top");
        PageView product = view("HTTPS://Shop.Example:443/p/tv?gclid=1&color=red");
        RecordPageViewsResponse first = record(site, visitor, home, product);
        assertThat(first.getRecordedCount()).isEqualTo(2);
        assertThat(first.getCartIdsList()).isEmpty();

        RecordPageViewsResponse again = record(site, visitor, home, product);
        assertThat(again.getRecordedCount()).isZero();
        assertThat(again.getRepeatedCount()).as("a retried beacon is recorded once").isEqualTo(2);

        List<PageView> listed = viewsOf(visitor);
        assertThat(listed).extracting(PageView::getUrl).containsExactly(SHOP + "/p/tv?color=red", SHOP + "/");
        assertThat(listed).extracting(PageView::getKind).containsOnly(PageKind.PAGE_KIND_OTHER);
        assertThat(listed.get(0).getTitle()).isEqualTo(product.getTitle());
        assertThat(listed.get(0).getSiteId()).isEqualTo(site);
        assertThat(listed.get(0).getContactId()).isEmpty();
        assertThat(cartsOf(visitor)).as("no cart without a cart page").isEmpty();
    }

    @Test
    void badViewsAreRefusedWithTheirFieldsAndNothingIsRecorded() {
        String visitor = newId("vis-");
        Timestamp future = Timestamp.newBuilder().setSeconds(clock.instant().plus(Duration.ofHours(1)).getEpochSecond()).build();
        RecordPageViewsRequest bad = RecordPageViewsRequest.newBuilder().setSiteId(site).setVisitorId(visitor)
                .addPageViews(view(SHOP + "/shop/cart"))
                .addPageViews(view("javascript:alert(1)"))
                .addPageViews(view(SHOP + "/x").toBuilder().setViewTime(future))
                .addPageViews(view(SHOP + "/y").toBuilder().setTitle("t".repeat(501)))
                .addPageViews(view(SHOP + "/z").toBuilder().setViewId(""))
                .build();
        assertThatThrownBy(() -> api.pageViews.recordPageViews(bad))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(violations(e)).extracting(v -> v.getField() + ": " + v.getDescription()).containsExactly(
                            "page_views[1].url: must be an absolute http or https URL",
                            "page_views[2].view_time: must not be in the future",
                            "page_views[3].title: must be at most 500 characters (got 501)",
                            "page_views[4].view_id: is required");
                });
        assertThat(viewsOf(visitor)).as("the valid view of a refused call is not recorded either").isEmpty();
        assertThat(cartsOf(visitor)).isEmpty();

        assertThatThrownBy(() -> record("no-such-site", visitor, view(SHOP + "/")))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThatThrownBy(() -> api.pageViews.recordPageViews(RecordPageViewsRequest.newBuilder().setSiteId(site)
                .setVisitorId(visitor).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(violations(e))
                        .extracting(v -> v.getField() + ": " + v.getDescription())
                        .containsExactly("page_views: must hold 1 to 100 views (got 0)"));
    }

    @Test
    void cartPageThenThankYouPageIsAPurchaseOfAUrlTrackedCart() {
        String visitor = newId("vis-");
        record(site, visitor, view(SHOP + "/p/tv"));
        PageView cartPage = view(SHOP + "/shop/cart?step=1");
        RecordPageViewsResponse opened = record(site, visitor, cartPage);
        String cartId = "url-" + cartPage.getViewId();
        assertThat(opened.getCartIdsList()).containsExactly(cartId);

        Cart cart = api.cart(store, cartId);
        assertThat(cart.getSource()).isEqualTo(CartSource.CART_SOURCE_URL);
        assertThat(cart.getState()).isEqualTo(CartState.CART_STATE_ACTIVE);
        assertThat(cart.getItemsList()).isEmpty();
        assertThat(cart.hasTotalPrice()).isFalse();
        assertThat(cart.getVisitorId()).isEqualTo(visitor);

        assertThat(record(site, visitor, view(SHOP + "/shop/cart")).getCartIdsList())
                .as("the cart page again touches the same cart").containsExactly(cartId);

        clock.advance(Duration.ofMinutes(10));
        PageView thanks = view(SHOP + "/shop/thank-you?order=77");
        RecordPageViewsResponse bought = record(site, visitor, thanks);
        assertThat(bought.getConvertedCartIdsList()).containsExactly(cartId);
        Cart converted = api.cart(store, cartId);
        assertThat(converted.getState()).isEqualTo(CartState.CART_STATE_CONVERTED);
        assertThat(converted.getRecovered()).isFalse();
        assertThat(converted.getTransactionId()).isEqualTo("url:" + thanks.getViewId());

        assertThat(record(site, visitor, view(SHOP + "/shop/thank-you")).getConvertedCartIdsList())
                .as("a second thank-you page converts nothing").isEmpty();
        assertThat(viewsOf(visitor)).extracting(PageView::getKind).containsExactly(PageKind.PAGE_KIND_THANK_YOU,
                PageKind.PAGE_KIND_THANK_YOU, PageKind.PAGE_KIND_CART, PageKind.PAGE_KIND_CART, PageKind.PAGE_KIND_OTHER);
        assertThat(cartsOf(visitor)).hasSize(1);
    }

    @Test
    void cartPageWithoutThankYouIsAbandonedAndALaterThankYouInTheWindowRecoversIt() {
        String visitor = newId("vis-");
        PageView cartPage = view(SHOP + "/shop/cart");
        record(site, visitor, cartPage);
        String cartId = "url-" + cartPage.getViewId();

        clock.advance(Duration.ofMinutes(61));
        sweep();
        Cart abandoned = api.cart(store, cartId);
        assertThat(abandoned.getState()).isEqualTo(CartState.CART_STATE_ABANDONED);
        assertThat(abandoned.getEpisode()).isEqualTo(1);

        clock.advance(Duration.ofHours(3));
        assertThat(record(site, visitor, view(SHOP + "/shop/thank-you")).getConvertedCartIdsList()).containsExactly(cartId);
        Cart recovered = api.cart(store, cartId);
        assertThat(recovered.getState()).isEqualTo(CartState.CART_STATE_CONVERTED);
        assertThat(recovered.getRecovered()).isTrue();
    }

    @Test
    void aThankYouPageAfterTheWindowIsNotAPurchaseAndACartPageReopensTheCart() {
        String visitor = newId("vis-");
        PageView cartPage = view(SHOP + "/shop/cart");
        record(site, visitor, cartPage);
        String cartId = "url-" + cartPage.getViewId();
        clock.advance(Duration.ofHours(25));
        sweep();
        assertThat(record(site, visitor, view(SHOP + "/shop/thank-you")).getConvertedCartIdsList()).isEmpty();
        assertThat(api.cart(store, cartId).getState()).isEqualTo(CartState.CART_STATE_ABANDONED);

        assertThat(record(site, visitor, view(SHOP + "/shop/cart")).getCartIdsList()).containsExactly(cartId);
        Cart reopened = api.cart(store, cartId);
        assertThat(reopened.getState()).isEqualTo(CartState.CART_STATE_ACTIVE);
        assertThat(reopened.getEpisode()).isEqualTo(1);
    }

    @Test
    void aVisitWithCartCallsNeverHasTwoCarts() {
        // Cart calls first: the cart page adds no URL-tracked cart.
        String early = newId("vis-");
        String called = newId("C-");
        api.carts.submitCart(CartApi.request(store, addCart(called, null, "50")).setSiteId(site).setVisitorId(early).build());
        assertThat(record(site, early, view(SHOP + "/shop/cart")).getCartIdsList()).isEmpty();
        assertThat(cartsOf(early)).extracting(Cart::getCartId).containsExactly(called);

        // The cart page first (the tracker sends the view on load), then the page's cart calls: they replace it.
        String late = newId("vis-");
        PageView cartPage = view(SHOP + "/shop/cart");
        record(site, late, cartPage);
        assertThat(cartsOf(late)).extracting(Cart::getSource).containsExactly(CartSource.CART_SOURCE_URL);
        String calledLater = newId("C-");
        api.carts.submitCart(CartApi.request(store, addCart(calledLater, null, "70")).setSiteId(site).setVisitorId(late).build());
        assertThat(cartsOf(late)).extracting(Cart::getCartId).containsExactly(calledLater);
        assertThatThrownBy(() -> api.cart(store, "url-" + cartPage.getViewId()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void aTransactionsOnlySiteRecordsViewsButOpensNoCart() {
        String only = newSite(store, "/shop/cart*", "/shop/thank-you*", TrackingMode.TRACKING_MODE_TRANSACTIONS_ONLY);
        String visitor = newId("vis-");
        RecordPageViewsResponse r = record(only, visitor, view(SHOP + "/shop/cart"));
        assertThat(r.getRecordedCount()).isEqualTo(1);
        assertThat(r.getCartIdsList()).isEmpty();
        assertThat(cartsOf(visitor)).isEmpty();
    }

    @Test
    void patternsAreCheckedWhenSavedAndABadOneChangesNothing() {
        List<String[]> refused = List.of(
                new String[] {"cart", "/shop/thank-you*", "site.cart_page_pattern",
                        "must start with '/' (path and query), 'http://', 'https://' or '*' (whole URL)"},
                new String[] {"/shop/cart*", "", "site.thank_you_page_pattern",
                        "is required when site.cart_page_pattern is set: a URL journey needs both the cart page and the thank-you page"},
                new String[] {"*", "/shop/thank-you*", "site.cart_page_pattern", "matches every page; name the page (for example /cart*)"},
                new String[] {"/shop/cart*", "/shop/CART*", "site.thank_you_page_pattern", "must differ from the cart page pattern"},
                new String[] {"/shop/my cart", "/shop/thank-you*", "site.cart_page_pattern",
                        "must not contain spaces or control characters (position 9)"});
        for (String[] r : refused) {
            UpdateSiteRequest update = UpdateSiteRequest.newBuilder()
                    .setSite(Site.newBuilder().setSiteId(site).setCartPagePattern(r[0]).setThankYouPagePattern(r[1]))
                    .setUpdateMask(FieldMask.newBuilder().addPaths("cart_page_pattern").addPaths("thank_you_page_pattern"))
                    .build();
            assertThatThrownBy(() -> api.stores.updateSite(update))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(violations(e)).extracting(v -> v.getField() + ": " + v.getDescription())
                                .containsExactly(r[2] + ": " + r[3]);
                    });
        }
        Site unchanged = api.stores.getSite(GetSiteRequest.newBuilder().setSiteId(site).build()).getSite();
        assertThat(unchanged.getCartPagePattern()).isEqualTo("/shop/cart*");
        assertThat(unchanged.getThankYouPagePattern()).isEqualTo("/shop/thank-you*");

        Site changed = api.stores.updateSite(UpdateSiteRequest.newBuilder()
                .setSite(Site.newBuilder().setSiteId(site).setCartPagePattern("").setThankYouPagePattern("")
                        .setPageViewsDisabled(true))
                .setUpdateMask(FieldMask.newBuilder().addPaths("cart_page_pattern").addPaths("thank_you_page_pattern")
                        .addPaths("page_views_disabled")).build()).getSite();
        assertThat(changed.getCartPagePattern()).isEmpty();
        assertThat(changed.getPageViewsDisabled()).isTrue();

        TestUrlPatternResponse tested = api.pageViews.testUrlPattern(TestUrlPatternRequest.newBuilder()
                .setPattern("/shop/cart*").addUrls(SHOP + "/shop/cart?x=1#a").addUrls(SHOP + "/shop/checkout").build());
        assertThat(tested.getMatchesList()).containsExactly(true, false);
        assertThat(tested.getNormalizedUrlsList()).containsExactly(SHOP + "/shop/cart?x=1", SHOP + "/shop/checkout");
        assertThatThrownBy(() -> api.pageViews.testUrlPattern(TestUrlPatternRequest.newBuilder().setPattern("shop").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(violations(e))
                        .extracting(v -> v.getField()).containsExactly("pattern"));
    }

    @Test
    void theLogCarriesViewsAndLinksInOrderAndErasureRemovesTheViews() throws InterruptedException {
        String visitor = newId("vis-");
        String contact = newId("contact-");
        record(site, visitor, view(SHOP + "/a"));
        api.carts.linkVisitor(LinkVisitorRequest.newBuilder().setStoreId(store).setVisitorId(visitor).setContactId(contact).build());
        record(site, visitor, view(SHOP + "/b"));

        List<PageEvent> events = watch(store, 3);
        assertThat(events).extracting(PageEvent::getType).containsExactly(PageEventType.PAGE_EVENT_TYPE_VIEWED,
                PageEventType.PAGE_EVENT_TYPE_VISITOR_LINKED, PageEventType.PAGE_EVENT_TYPE_VIEWED);
        assertThat(events.get(0).getPageView().getContactId()).as("anonymous when recorded").isEmpty();
        assertThat(events.get(1).getContactId()).isEqualTo(contact);
        assertThat(events.get(1).getVisitorId()).isEqualTo(visitor);
        assertThat(events.get(2).getPageView().getContactId()).isEqualTo(contact);
        assertThat(events.get(2).getSequence()).isEqualTo(events.get(0).getSequence() + 2);
        assertThat(api.pageViews.listPageViews(ListPageViewsRequest.newBuilder().setStoreId(store).setContactId(contact).build())
                .getPageViewsList()).extracting(PageView::getContactId).containsExactly(contact, contact);

        EraseContactCartsResponse erased = api.carts.eraseContactCarts(EraseContactCartsRequest.newBuilder()
                .setContactId(contact).build());
        assertThat(erased.getDeletedPageViewCount()).isEqualTo(2);
        assertThat(viewsOf(visitor)).isEmpty();
        assertThatThrownBy(() -> record(site, visitor, view(SHOP + "/c")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(reason(e)).isEqualTo("CONTACT_SUPPRESSED");
                });
        assertThat(viewsOf(visitor)).isEmpty();
    }

    @Test
    void rawViewsArePurgedAfterTheStoresRetention() {
        api.stores.updateStore(UpdateStoreRequest.newBuilder()
                .setStore(Store.newBuilder().setStoreId(store).setPageViewRetention(com.google.protobuf.Duration.newBuilder()
                        .setSeconds(Duration.ofDays(2).toSeconds())))
                .setUpdateMask(FieldMask.newBuilder().addPaths("page_view_retention")).build());
        String visitor = newId("vis-");
        record(site, visitor, view(SHOP + "/old"));
        clock.advance(Duration.ofDays(1));
        record(site, visitor, view(SHOP + "/new"));
        clock.advance(Duration.ofDays(1).plusHours(1));
        purge.purge().await().atMost(Duration.ofSeconds(30));
        assertThat(viewsOf(visitor)).extracting(PageView::getUrl).containsExactly(SHOP + "/new");
    }

    private List<PageEvent> watch(String storeId, int count) throws InterruptedException {
        LinkedBlockingQueue<PageEvent> into = new LinkedBlockingQueue<>();
        PageViewServiceGrpc.PageViewServiceStub async = PageViewServiceGrpc.newStub(api.channel)
                .withCallCredentials(new BearerToken(CartApi.TOKEN));
        Context.CancellableContext context = Context.current().withCancellation();
        context.run(() -> async.watchPageEvents(WatchPageEventsRequest.newBuilder().setStoreId(storeId).build(),
                new StreamObserver<WatchPageEventsResponse>() {
                    @Override
                    public void onNext(WatchPageEventsResponse value) {
                        into.add(value.getEvent());
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                }));
        List<PageEvent> got = new ArrayList<>();
        try {
            while (got.size() < count) {
                PageEvent e = into.poll(10, TimeUnit.SECONDS);
                assertThat(e).as("event %d of %d within 10 s", got.size() + 1, count).isNotNull();
                got.add(e);
            }
        } finally {
            context.cancel(null);
        }
        return got;
    }
}
