package org.relance.cart.grpc;

import com.google.protobuf.Duration;
import com.google.protobuf.FieldMask;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.relance.api.cart.v1.CreateSiteRequest;
import org.relance.api.cart.v1.CreateSiteResponse;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.CreateStoreResponse;
import org.relance.api.cart.v1.GetSiteByKeyRequest;
import org.relance.api.cart.v1.GetSiteByKeyResponse;
import org.relance.api.cart.v1.GetSiteRequest;
import org.relance.api.cart.v1.GetSiteResponse;
import org.relance.api.cart.v1.GetStoreRequest;
import org.relance.api.cart.v1.GetStoreResponse;
import org.relance.api.cart.v1.ListSitesRequest;
import org.relance.api.cart.v1.ListSitesResponse;
import org.relance.api.cart.v1.ListStoresRequest;
import org.relance.api.cart.v1.ListStoresResponse;
import org.relance.api.cart.v1.MutinyStoreServiceGrpc;
import org.relance.api.cart.v1.UpdateSiteRequest;
import org.relance.api.cart.v1.UpdateSiteResponse;
import org.relance.api.cart.v1.UpdateStoreRequest;
import org.relance.api.cart.v1.UpdateStoreResponse;
import org.relance.cart.domain.Site;
import org.relance.cart.domain.Store;
import org.relance.cart.domain.StoreValidator;
import org.relance.cart.domain.TrackingMode;
import org.relance.cart.persistence.StoreRepository;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.ProtoValues;

import static org.relance.kit.grpc.ProtoValues.timestamp;

/** StoreService over gRPC: stores and sites. */
@GrpcService
public class StoreGrpcService extends MutinyStoreServiceGrpc.StoreServiceImplBase {
    private static final int PAGE_DEFAULT = 100;
    private static final int PAGE_MAX = 1000;
    private static final List<String> STORE_FIELDS = List.of("display_name", "currency_code", "time_zone",
            "abandonment_delay", "cart_retention", "page_view_retention", "url_purchase_window");
    private static final List<String> SITE_FIELDS = List.of("display_name", "allowed_origins", "tracking_mode", "restore_url",
            "page_views_disabled", "cart_page_pattern", "thank_you_page_pattern");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final StoreRepository stores;

    public StoreGrpcService(StoreRepository stores) {
        this.stores = stores;
    }

    @Override
    public Uni<CreateStoreResponse> createStore(CreateStoreRequest request) {
        return Uni.createFrom().item(() -> {
                    org.relance.api.cart.v1.Store s = request.getStore();
                    Violations d = new Violations();
                    Store store = new Store(s.getStoreId(), s.getDisplayName().isEmpty() ? s.getStoreId() : s.getDisplayName(),
                            s.getCurrencyCode(), s.getTimeZone().isEmpty() ? "UTC" : s.getTimeZone(),
                            s.hasAbandonmentDelay() ? duration(s.getAbandonmentDelay(), "store.abandonment_delay", d)
                                    : Store.DEFAULT_ABANDONMENT_DELAY,
                            s.hasCartRetention() ? duration(s.getCartRetention(), "store.cart_retention", d) : Store.DEFAULT_CART_RETENTION,
                            s.hasPageViewRetention() ? duration(s.getPageViewRetention(), "store.page_view_retention", d)
                                    : Store.DEFAULT_PAGE_VIEW_RETENTION,
                            s.hasUrlPurchaseWindow() ? duration(s.getUrlPurchaseWindow(), "store.url_purchase_window", d)
                                    : Store.DEFAULT_URL_PURCHASE_WINDOW,
                            Instant.EPOCH, Instant.EPOCH);
                    d.throwIfAny();
                    check(store);
                    return store;
                })
                .chain(stores::create)
                .map(store -> CreateStoreResponse.newBuilder().setStore(toProto(store)).build());
    }

    @Override
    public Uni<UpdateStoreResponse> updateStore(UpdateStoreRequest request) {
        Violations v = new Violations();
        StoreValidator.checkId("store.store_id", request.getStore().getStoreId(), v);
        checkMask(request.getUpdateMask(), STORE_FIELDS, v);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        org.relance.api.cart.v1.Store s = request.getStore();
        List<String> paths = request.getUpdateMask().getPathsList();
        return stores.get(s.getStoreId())
                .map(old -> {
                    Violations d = new Violations();
                    Store merged = new Store(old.storeId(),
                            paths.contains("display_name") ? s.getDisplayName() : old.displayName(),
                            paths.contains("currency_code") ? s.getCurrencyCode() : old.currencyCode(),
                            paths.contains("time_zone") ? s.getTimeZone() : old.timeZone(),
                            paths.contains("abandonment_delay") ? duration(s.getAbandonmentDelay(), "store.abandonment_delay", d)
                                    : old.abandonmentDelay(),
                            paths.contains("cart_retention") ? duration(s.getCartRetention(), "store.cart_retention", d) : old.cartRetention(),
                            paths.contains("page_view_retention") ? duration(s.getPageViewRetention(), "store.page_view_retention", d)
                                    : old.pageViewRetention(),
                            paths.contains("url_purchase_window") ? duration(s.getUrlPurchaseWindow(), "store.url_purchase_window", d)
                                    : old.urlPurchaseWindow(),
                            old.createTime(), old.updateTime());
                    d.throwIfAny();
                    check(merged);
                    return merged;
                })
                .chain(stores::update)
                .map(store -> UpdateStoreResponse.newBuilder().setStore(toProto(store)).build());
    }

    @Override
    public Uni<GetStoreResponse> getStore(GetStoreRequest request) {
        return validId("store_id", request.getStoreId())
                .chain(stores::get)
                .map(store -> GetStoreResponse.newBuilder().setStore(toProto(store)).build());
    }

    @Override
    public Uni<ListStoresResponse> listStores(ListStoresRequest request) {
        Violations v = new Violations();
        int size = pageSize(request.getPageSize(), v);
        String after = decodeToken(request.getPageToken(), v);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        return stores.list(after, size + 1).map(list -> {
            ListStoresResponse.Builder b = ListStoresResponse.newBuilder();
            list.stream().limit(size).forEach(s -> b.addStores(toProto(s)));
            if (list.size() > size) {
                b.setNextPageToken(encodeToken(list.get(size - 1).storeId()));
            }
            return b.build();
        });
    }

    @Override
    public Uni<CreateSiteResponse> createSite(CreateSiteRequest request) {
        return Uni.createFrom().item(() -> {
                    org.relance.api.cart.v1.Site s = request.getSite();
                    Site site = new Site(s.getSiteId(), s.getStoreId(),
                            s.getDisplayName().isEmpty() ? s.getSiteId() : s.getDisplayName(), newSiteKey(),
                            s.getAllowedOriginsList(), trackingMode(s.getTrackingMode(), true), s.getRestoreUrl(),
                            s.getPageViewsDisabled(), s.getCartPagePattern(), s.getThankYouPagePattern(), Instant.EPOCH, Instant.EPOCH);
                    Violations v = new Violations();
                    StoreValidator.checkId("site.site_id", site.siteId(), v);
                    StoreValidator.checkId("site.store_id", site.storeId(), v);
                    check(site, v);
                    v.throwIfAny();
                    return site;
                })
                .chain(stores::createSite)
                .map(site -> CreateSiteResponse.newBuilder().setSite(toProto(site)).build());
    }

    @Override
    public Uni<UpdateSiteResponse> updateSite(UpdateSiteRequest request) {
        Violations v = new Violations();
        StoreValidator.checkId("site.site_id", request.getSite().getSiteId(), v);
        checkMask(request.getUpdateMask(), SITE_FIELDS, v);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        org.relance.api.cart.v1.Site s = request.getSite();
        List<String> paths = request.getUpdateMask().getPathsList();
        return stores.getSite(s.getSiteId())
                .map(old -> {
                    Site merged = new Site(old.siteId(), old.storeId(),
                            paths.contains("display_name") ? s.getDisplayName() : old.displayName(), old.siteKey(),
                            paths.contains("allowed_origins") ? s.getAllowedOriginsList() : old.allowedOrigins(),
                            paths.contains("tracking_mode") ? trackingMode(s.getTrackingMode(), false) : old.trackingMode(),
                            paths.contains("restore_url") ? s.getRestoreUrl() : old.restoreUrl(),
                            paths.contains("page_views_disabled") ? s.getPageViewsDisabled() : old.pageViewsDisabled(),
                            paths.contains("cart_page_pattern") ? s.getCartPagePattern() : old.cartPagePattern(),
                            paths.contains("thank_you_page_pattern") ? s.getThankYouPagePattern() : old.thankYouPagePattern(),
                            old.createTime(), old.updateTime());
                    Violations w = new Violations();
                    check(merged, w);
                    w.throwIfAny();
                    return merged;
                })
                .chain(stores::updateSite)
                .map(site -> UpdateSiteResponse.newBuilder().setSite(toProto(site)).build());
    }

    @Override
    public Uni<GetSiteResponse> getSite(GetSiteRequest request) {
        return validId("site_id", request.getSiteId())
                .chain(stores::getSite)
                .chain(site -> stores.get(site.storeId())
                        .map(store -> GetSiteResponse.newBuilder().setSite(toProto(site)).setStore(toProto(store)).build()));
    }

    @Override
    public Uni<GetSiteByKeyResponse> getSiteByKey(GetSiteByKeyRequest request) {
        Violations v = new Violations();
        v.requireText("site_key", request.getSiteKey(), 100);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        return stores.getSiteByKey(request.getSiteKey())
                .chain(site -> stores.get(site.storeId())
                        .map(store -> GetSiteByKeyResponse.newBuilder().setSite(toProto(site)).setStore(toProto(store)).build()));
    }

    @Override
    public Uni<ListSitesResponse> listSites(ListSitesRequest request) {
        Violations v = new Violations();
        StoreValidator.checkId("store_id", request.getStoreId(), v);
        int size = pageSize(request.getPageSize(), v);
        String after = decodeToken(request.getPageToken(), v);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        return stores.listSites(request.getStoreId(), after, size + 1).map(list -> {
            ListSitesResponse.Builder b = ListSitesResponse.newBuilder();
            list.stream().limit(size).forEach(s -> b.addSites(toProto(s)));
            if (list.size() > size) {
                b.setNextPageToken(encodeToken(list.get(size - 1).siteId()));
            }
            return b.build();
        });
    }

    private static Uni<String> validId(String field, String id) {
        Violations v = new Violations();
        StoreValidator.checkId(field, id, v);
        return v.isEmpty() ? Uni.createFrom().item(id) : Uni.createFrom().failure(v.exception());
    }

    private static void check(Store store) {
        Violations v = new Violations();
        StoreValidator.checkId("store.store_id", store.storeId(), v);
        StoreValidator.checkName("store.display_name", store.displayName(), v);
        StoreValidator.checkCurrency("store.currency_code", store.currencyCode(), v);
        StoreValidator.checkTimeZone("store.time_zone", store.timeZone(), v);
        StoreValidator.checkDelay("store.abandonment_delay", store.abandonmentDelay(), v);
        StoreValidator.checkRetention("store.cart_retention", store.cartRetention(), v);
        StoreValidator.checkRetention("store.page_view_retention", store.pageViewRetention(), v);
        StoreValidator.checkPurchaseWindow("store.url_purchase_window", store.urlPurchaseWindow(), v);
        v.throwIfAny();
    }

    private static void check(Site site, Violations v) {
        StoreValidator.checkName("site.display_name", site.displayName(), v);
        if (site.allowedOrigins().size() > 50) {
            v.add("site.allowed_origins", "at most 50 origins");
        }
        for (int i = 0; i < site.allowedOrigins().size(); i++) {
            StoreValidator.checkOrigin("site.allowed_origins[" + i + "]", site.allowedOrigins().get(i), v);
        }
        StoreValidator.checkRestoreUrl("site.restore_url", site.restoreUrl(), v);
        StoreValidator.checkUrlJourney("site.cart_page_pattern", site.cartPagePattern(), "site.thank_you_page_pattern",
                site.thankYouPagePattern(), v);
        if (site.trackingMode() == null) {
            v.add("site.tracking_mode", "must be TRACKING_MODE_TRANSACTIONS_ONLY or TRACKING_MODE_CARTS_AND_TRANSACTIONS");
        }
    }

    private static void checkMask(FieldMask mask, List<String> allowed, Violations v) {
        if (mask.getPathsCount() == 0) {
            v.add("update_mask", "names no field; allowed: " + String.join(", ", allowed));
        }
        for (String path : mask.getPathsList()) {
            if (!allowed.contains(path)) {
                v.add("update_mask", "cannot change " + path + "; allowed: " + String.join(", ", allowed));
            }
        }
    }

    private static TrackingMode trackingMode(org.relance.api.cart.v1.TrackingMode mode, boolean defaultWhenUnset) {
        return switch (mode) {
            case TRACKING_MODE_TRANSACTIONS_ONLY -> TrackingMode.TRANSACTIONS_ONLY;
            case TRACKING_MODE_CARTS_AND_TRANSACTIONS -> TrackingMode.CARTS_AND_TRANSACTIONS;
            case TRACKING_MODE_UNSPECIFIED -> defaultWhenUnset ? TrackingMode.CARTS_AND_TRANSACTIONS : null;
            default -> null;
        };
    }

    private static int pageSize(int requested, Violations v) {
        if (requested < 0 || requested > PAGE_MAX) {
            v.add("page_size", "must be between 1 and " + PAGE_MAX + " (0 for the default " + PAGE_DEFAULT + ")");
        }
        return requested <= 0 ? PAGE_DEFAULT : Math.min(requested, PAGE_MAX);
    }

    private static String encodeToken(String lastId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("k" + lastId).getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeToken(String token, Violations v) {
        if (token.isEmpty()) {
            return "";
        }
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (decoded.startsWith("k")) {
                return decoded.substring(1);
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        v.add("page_token", "is not a token this service issued");
        return "";
    }

    private static String newSiteKey() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return "pk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A client's duration; an invalid one is a violation and stands in as zero (refused before use). */
    private static java.time.Duration duration(Duration d, String field, Violations v) {
        java.time.Duration value = ProtoValues.duration(d, field, v);
        return value == null ? java.time.Duration.ZERO : value;
    }

    private static Duration duration(java.time.Duration d) {
        return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }

    static org.relance.api.cart.v1.Store toProto(Store s) {
        return org.relance.api.cart.v1.Store.newBuilder()
                .setStoreId(s.storeId())
                .setDisplayName(s.displayName())
                .setCurrencyCode(s.currencyCode())
                .setTimeZone(s.timeZone())
                .setAbandonmentDelay(duration(s.abandonmentDelay()))
                .setCartRetention(duration(s.cartRetention()))
                .setPageViewRetention(duration(s.pageViewRetention()))
                .setUrlPurchaseWindow(duration(s.urlPurchaseWindow()))
                .setCreateTime(timestamp(s.createTime()))
                .setUpdateTime(timestamp(s.updateTime()))
                .build();
    }

    static org.relance.api.cart.v1.Site toProto(Site s) {
        return org.relance.api.cart.v1.Site.newBuilder()
                .setSiteId(s.siteId())
                .setStoreId(s.storeId())
                .setDisplayName(s.displayName())
                .setSiteKey(s.siteKey())
                .addAllAllowedOrigins(s.allowedOrigins())
                .setTrackingMode(s.trackingMode() == TrackingMode.TRANSACTIONS_ONLY
                        ? org.relance.api.cart.v1.TrackingMode.TRACKING_MODE_TRANSACTIONS_ONLY
                        : org.relance.api.cart.v1.TrackingMode.TRACKING_MODE_CARTS_AND_TRANSACTIONS)
                .setRestoreUrl(s.restoreUrl())
                .setPageViewsDisabled(s.pageViewsDisabled())
                .setCartPagePattern(s.cartPagePattern())
                .setThankYouPagePattern(s.thankYouPagePattern())
                .setCreateTime(timestamp(s.createTime()))
                .setUpdateTime(timestamp(s.updateTime()))
                .build();
    }
}
