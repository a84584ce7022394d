package org.relance.cart;

import com.google.protobuf.Duration;
import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.CreateSiteRequest;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.GetSiteByKeyRequest;
import org.relance.api.cart.v1.GetSiteByKeyResponse;
import org.relance.api.cart.v1.GetStoreRequest;
import org.relance.api.cart.v1.ListSitesRequest;
import org.relance.api.cart.v1.ListStoresRequest;
import org.relance.api.cart.v1.ListStoresResponse;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.api.cart.v1.UpdateSiteRequest;
import org.relance.api.cart.v1.UpdateStoreRequest;
import org.relance.cart.support.CartApi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.relance.cart.support.CartApi.newId;
import static org.relance.cart.support.CartApi.violations;

/** Stores and sites: what the edge and the other services read. */
@QuarkusTest
class StoreServiceIT {
    private CartApi api;

    @BeforeEach
    void setUp() {
        api = new CartApi();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        api.close();
    }

    @Test
    void aStoreGetsTheDefaultsOfTheDesign() {
        String id = newId("st-");
        Store created = api.stores.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder()
                .setStoreId(id).setCurrencyCode("CAD")).build()).getStore();
        assertThat(created.getAbandonmentDelay().getSeconds()).isEqualTo(3600);
        assertThat(created.getCartRetention().getSeconds()).isEqualTo(15 * 86400);
        assertThat(created.getTimeZone()).isEqualTo("UTC");
        assertThat(api.stores.getStore(GetStoreRequest.newBuilder().setStoreId(id).build()).getStore()).isEqualTo(created);

        assertThatThrownBy(() -> api.stores.createStore(CreateStoreRequest.newBuilder().setStore(created).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS));
    }

    @Test
    void invalidStoresAreRefusedWithEveryField() {
        assertThatThrownBy(() -> api.stores.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder()
                .setStoreId("Bad Id").setCurrencyCode("euro").setTimeZone("Mars/Olympus")
                .setAbandonmentDelay(Duration.newBuilder().setSeconds(4))
                .setCartRetention(Duration.newBuilder().setSeconds(-1))).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(violations(e)).extracting(v -> v.getField()).containsExactlyInAnyOrder("store.store_id",
                            "store.currency_code", "store.time_zone", "store.abandonment_delay", "store.cart_retention");
                });
    }

    @Test
    void updatesChangeOnlyTheMaskedFields() {
        String id = api.newStore();
        Store updated = api.stores.updateStore(UpdateStoreRequest.newBuilder()
                .setStore(Store.newBuilder().setStoreId(id).setAbandonmentDelay(Duration.newBuilder().setSeconds(1800))
                        .setCurrencyCode("XXX-ignored"))
                .setUpdateMask(FieldMask.newBuilder().addPaths("abandonment_delay")).build()).getStore();
        assertThat(updated.getAbandonmentDelay().getSeconds()).isEqualTo(1800);
        assertThat(updated.getCurrencyCode()).isEqualTo("EUR");
        assertThatThrownBy(() -> api.stores.updateStore(UpdateStoreRequest.newBuilder()
                .setStore(Store.newBuilder().setStoreId(id)).setUpdateMask(FieldMask.newBuilder().addPaths("store_id")).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(violations(e)).extracting(v -> v.getField()).containsExactly("update_mask"));
    }

    @Test
    void aSiteIsFoundByItsGeneratedKeyWithItsStore() {
        String store = api.newStore();
        String siteId = newId("site-");
        Site site = api.stores.createSite(CreateSiteRequest.newBuilder().setSite(Site.newBuilder().setSiteId(siteId)
                .setStoreId(store).addAllowedOrigins("https://shop.example").addAllowedOrigins("http://localhost:8080")).build())
                .getSite();
        assertThat(site.getSiteKey()).startsWith("pk_").hasSizeGreaterThan(20);
        assertThat(site.getTrackingMode()).isEqualTo(TrackingMode.TRACKING_MODE_CARTS_AND_TRANSACTIONS);

        GetSiteByKeyResponse found = api.stores.getSiteByKey(GetSiteByKeyRequest.newBuilder().setSiteKey(site.getSiteKey()).build());
        assertThat(found.getSite()).isEqualTo(site);
        assertThat(found.getStore().getStoreId()).isEqualTo(store);

        Site changed = api.stores.updateSite(UpdateSiteRequest.newBuilder()
                .setSite(Site.newBuilder().setSiteId(siteId).setTrackingMode(TrackingMode.TRACKING_MODE_TRANSACTIONS_ONLY))
                .setUpdateMask(FieldMask.newBuilder().addPaths("tracking_mode")).build()).getSite();
        assertThat(changed.getTrackingMode()).isEqualTo(TrackingMode.TRACKING_MODE_TRANSACTIONS_ONLY);
        assertThat(changed.getAllowedOriginsList()).containsExactly("https://shop.example", "http://localhost:8080");
        assertThat(api.stores.listSites(ListSitesRequest.newBuilder().setStoreId(store).build()).getSitesList())
                .extracting(Site::getSiteId).containsExactly(siteId);

        assertThatThrownBy(() -> api.stores.getSiteByKey(GetSiteByKeyRequest.newBuilder().setSiteKey("pk_forged").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void siteOriginsAndStoreAreChecked() {
        assertThatThrownBy(() -> api.stores.createSite(CreateSiteRequest.newBuilder().setSite(Site.newBuilder()
                .setSiteId(newId("site-")).setStoreId("missing-store").addAllowedOrigins("https://shop.example/path")
                .addAllowedOrigins("javascript:alert(1)")).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(violations(e))
                        .extracting(v -> v.getField())
                        .containsExactlyInAnyOrder("site.allowed_origins[0]", "site.allowed_origins[1]"));
        assertThatThrownBy(() -> api.stores.createSite(CreateSiteRequest.newBuilder().setSite(Site.newBuilder()
                .setSiteId(newId("site-")).setStoreId("missing-store")).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void storesArePagedById() {
        List<String> ids = List.of(api.newStore(), api.newStore(), api.newStore());
        List<String> seen = new java.util.ArrayList<>();
        String token = "";
        do {
            ListStoresResponse page = api.stores.listStores(ListStoresRequest.newBuilder().setPageSize(2).setPageToken(token).build());
            assertThat(page.getStoresCount()).isLessThanOrEqualTo(2);
            page.getStoresList().forEach(s -> seen.add(s.getStoreId()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        assertThat(seen).containsAll(ids).isSorted().doesNotHaveDuplicates();
    }
}
