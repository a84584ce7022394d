package org.relance.cart.grpc;

import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.relance.api.cart.v1.ListPageViewsRequest;
import org.relance.api.cart.v1.ListPageViewsResponse;
import org.relance.api.cart.v1.MutinyPageViewServiceGrpc;
import org.relance.api.cart.v1.PageEvent;
import org.relance.api.cart.v1.PageEventType;
import org.relance.api.cart.v1.RecordPageViewsRequest;
import org.relance.api.cart.v1.RecordPageViewsResponse;
import org.relance.api.cart.v1.TestUrlPatternRequest;
import org.relance.api.cart.v1.TestUrlPatternResponse;
import org.relance.api.cart.v1.WatchPageEventsRequest;
import org.relance.api.cart.v1.WatchPageEventsResponse;
import org.relance.cart.domain.PageView;
import org.relance.cart.domain.PageViewCall;
import org.relance.cart.domain.StoreValidator;
import org.relance.cart.domain.SubmitValidator;
import org.relance.cart.persistence.PageEventLog;
import org.relance.cart.persistence.PageViewRepository;
import org.relance.cart.persistence.PageViewWriter;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.ProtoValues;
import org.relance.kit.url.PageUrls;
import org.relance.kit.url.UrlPattern;

import static org.relance.kit.grpc.ProtoValues.emptyToNull;
import static org.relance.kit.grpc.ProtoValues.nullToEmpty;

/** PageViewService over gRPC: validates, maps and delegates. */
@GrpcService
public class PageViewGrpcService extends MutinyPageViewServiceGrpc.PageViewServiceImplBase {
    static final int MAX_VIEWS = 100;
    static final int VIEW_ID_MAX = 100;
    static final int REFERRER_MAX = 2000;
    static final int TITLE_MAX = 500;
    /** A view may be reported late (a beacon retried from storage), but not more than a day. */
    static final Duration MAX_AGE = Duration.ofDays(1);
    /** Browsers' clocks run a little ahead. */
    static final Duration MAX_AHEAD = Duration.ofMinutes(5);
    private static final int LIST_DEFAULT = 50;
    private static final int LIST_MAX = 500;
    private static final int MAX_TEST_URLS = 100;

    private final PageViewWriter writer;
    private final PageViewRepository views;
    private final PageEventLog events;
    private final Clock clock;

    public PageViewGrpcService(PageViewWriter writer, PageViewRepository views, PageEventLog events, Clock clock) {
        this.writer = writer;
        this.views = views;
        this.events = events;
        this.clock = clock;
    }

    @Override
    public Uni<RecordPageViewsResponse> recordPageViews(RecordPageViewsRequest request) {
        return Uni.createFrom().item(() -> toCall(request, clock.instant()))
                .chain(writer::record)
                .map(r -> RecordPageViewsResponse.newBuilder()
                        .setRecordedCount(r.recorded())
                        .setRepeatedCount(r.repeated())
                        .addAllCartIds(r.cartIds())
                        .addAllConvertedCartIds(r.convertedCartIds())
                        .build());
    }

    static PageViewCall toCall(RecordPageViewsRequest request, Instant now) {
        Violations v = new Violations();
        StoreValidator.checkId("site_id", request.getSiteId(), v);
        v.requireText("visitor_id", request.getVisitorId(), SubmitValidator.PERSON_ID_MAX);
        v.optionalText("contact_id", request.getContactId(), SubmitValidator.PERSON_ID_MAX);
        int n = request.getPageViewsCount();
        if (n == 0 || n > MAX_VIEWS) {
            v.add("page_views", "must hold 1 to " + MAX_VIEWS + " views (got " + n + ")");
        }
        List<PageViewCall.View> list = new ArrayList<>(n);
        for (int i = 0; i < n && i < MAX_VIEWS; i++) {
            org.relance.api.cart.v1.PageView p = request.getPageViews(i);
            String field = "page_views[" + i + "].";
            v.requireText(field + "view_id", p.getViewId(), VIEW_ID_MAX);
            String url = null;
            try {
                url = PageUrls.normalize(p.getUrl());
            } catch (IllegalArgumentException e) {
                v.add(field + "url", e.getMessage());
            }
            v.optionalText(field + "referrer", p.getReferrer(), REFERRER_MAX);
            v.optionalText(field + "title", p.getTitle(), TITLE_MAX);
            Instant when = null;
            if (p.hasViewTime()) {
                when = ProtoValues.instant(p.getViewTime(), field + "view_time", v);
                if (when == null) {
                    // reported
                } else if (when.isAfter(now.plus(MAX_AHEAD))) {
                    v.add(field + "view_time", "must not be in the future");
                } else if (when.isBefore(now.minus(MAX_AGE))) {
                    v.add(field + "view_time", "must not be more than a day old");
                } else if (when.isAfter(now)) {
                    when = now;
                }
            }
            list.add(new PageViewCall.View(p.getViewId(), url, p.getReferrer(), p.getTitle(), when));
        }
        v.throwIfAny();
        return new PageViewCall(request.getSiteId(), request.getVisitorId(), emptyToNull(request.getContactId()), list);
    }

    @Override
    public Uni<ListPageViewsResponse> listPageViews(ListPageViewsRequest request) {
        Violations v = new Violations();
        StoreValidator.checkId("store_id", request.getStoreId(), v);
        boolean byContact = !request.getContactId().isEmpty();
        if (byContact == !request.getVisitorId().isEmpty()) {
            v.add("contact_id", "exactly one of contact_id and visitor_id is required");
        }
        v.optionalText("contact_id", request.getContactId(), SubmitValidator.PERSON_ID_MAX);
        v.optionalText("visitor_id", request.getVisitorId(), SubmitValidator.PERSON_ID_MAX);
        if (request.getPageSize() < 0 || request.getPageSize() > LIST_MAX) {
            v.add("page_size", "must be between 1 and " + LIST_MAX + " (0 for the default " + LIST_DEFAULT + ")");
        }
        int offset = ProtoValues.offset(request.getPageToken(), v);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        int size = request.getPageSize() == 0 ? LIST_DEFAULT : request.getPageSize();
        return views.list(request.getStoreId(), emptyToNull(request.getContactId()), emptyToNull(request.getVisitorId()),
                        size + 1, offset)
                .map(list -> {
                    ListPageViewsResponse.Builder b = ListPageViewsResponse.newBuilder();
                    list.stream().limit(size).forEach(view -> b.addPageViews(toProto(view)));
                    if (list.size() > size) {
                        b.setNextPageToken(ProtoValues.offsetToken(offset + size));
                    }
                    return b.build();
                });
    }

    @Override
    public Uni<TestUrlPatternResponse> testUrlPattern(TestUrlPatternRequest request) {
        return Uni.createFrom().item(() -> {
            Violations v = new Violations();
            Optional<String> problem = UrlPattern.problem(request.getPattern());
            problem.ifPresent(reason -> v.add("pattern", reason));
            if (request.getUrlsCount() > MAX_TEST_URLS) {
                v.add("urls", "at most " + MAX_TEST_URLS + " URLs");
            }
            List<String> normalized = new ArrayList<>();
            for (int i = 0; i < request.getUrlsCount() && i < MAX_TEST_URLS; i++) {
                try {
                    normalized.add(PageUrls.normalize(request.getUrls(i)));
                } catch (IllegalArgumentException e) {
                    v.add("urls[" + i + "]", e.getMessage());
                }
            }
            v.throwIfAny();
            UrlPattern pattern = UrlPattern.parse(request.getPattern());
            TestUrlPatternResponse.Builder b = TestUrlPatternResponse.newBuilder().addAllNormalizedUrls(normalized);
            normalized.forEach(url -> b.addMatches(pattern.matches(url)));
            return b.build();
        });
    }

    @Override
    public Multi<WatchPageEventsResponse> watchPageEvents(WatchPageEventsRequest request) {
        Violations v = new Violations();
        if (request.getAfterSequence() < 0) {
            v.add("after_sequence", "must not be negative");
        }
        if (!request.getStoreId().isEmpty()) {
            StoreValidator.checkId("store_id", request.getStoreId(), v);
        }
        if (!v.isEmpty()) {
            return Multi.createFrom().failure(v.exception());
        }
        return events.watch(request.getAfterSequence(), emptyToNull(request.getStoreId()))
                .map(e -> WatchPageEventsResponse.newBuilder().setEvent(toProto(e)).build());
    }

    static PageEvent toProto(PageEventLog.PageEvent e) {
        PageEvent.Builder b = PageEvent.newBuilder()
                .setSequence(e.sequence())
                .setType(e.type() == PageEventLog.VIEWED ? PageEventType.PAGE_EVENT_TYPE_VIEWED
                        : PageEventType.PAGE_EVENT_TYPE_VISITOR_LINKED)
                .setOccurTime(ProtoValues.timestamp(e.occurTime()))
                .setStoreId(nullToEmpty(e.storeId()))
                .setVisitorId(nullToEmpty(e.visitorId()))
                .setContactId(nullToEmpty(e.contactId()));
        if (e.view() != null) {
            b.setPageView(toProto(e.view()));
        }
        return b.build();
    }

    static org.relance.api.cart.v1.PageView toProto(PageView v) {
        return org.relance.api.cart.v1.PageView.newBuilder()
                .setViewId(v.viewId())
                .setUrl(v.url())
                .setReferrer(nullToEmpty(v.referrer()))
                .setTitle(nullToEmpty(v.title()))
                .setViewTime(ProtoValues.timestamp(v.viewTime()))
                .setStoreId(nullToEmpty(v.storeId()))
                .setSiteId(nullToEmpty(v.siteId()))
                .setVisitorId(nullToEmpty(v.visitorId()))
                .setContactId(nullToEmpty(v.contactId()))
                .setKind(switch (v.kind()) {
                    case CART -> org.relance.api.cart.v1.PageKind.PAGE_KIND_CART;
                    case THANK_YOU -> org.relance.api.cart.v1.PageKind.PAGE_KIND_THANK_YOU;
                    case OTHER -> org.relance.api.cart.v1.PageKind.PAGE_KIND_OTHER;
                })
                .build();
    }
}
