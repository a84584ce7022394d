package org.relance.edge.support;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.CreateSiteRequest;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.PageViewServiceGrpc;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.api.segment.v1.ContactServiceGrpc;
import org.relance.api.segment.v1.SegmentServiceGrpc;
import org.relance.api.transaction.v1.TransactionServiceGrpc;
import org.relance.kit.grpc.BearerToken;

/** What a test of the edge talks to: the edge over HTTP, the services over gRPC. */
public final class EdgeClient implements AutoCloseable {
    public static final String ADMIN_TOKEN = "test-admin-token";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final ManagedChannel cartChannel;
    private final ManagedChannel transactionChannel;
    private final ManagedChannel segmentChannel;
    public final String base;
    public final StoreServiceGrpc.StoreServiceBlockingStub stores;
    public final CartServiceGrpc.CartServiceBlockingStub carts;
    public final PageViewServiceGrpc.PageViewServiceBlockingStub pageViews;
    public final TransactionServiceGrpc.TransactionServiceBlockingStub transactions;
    public final ContactServiceGrpc.ContactServiceBlockingStub contacts;
    public final SegmentServiceGrpc.SegmentServiceBlockingStub segments;

    public EdgeClient() {
        base = "http://localhost:" + ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        BearerToken token = new BearerToken(Services.TOKEN);
        cartChannel = ManagedChannelBuilder.forAddress("localhost", Services.cartPort()).usePlaintext().build();
        transactionChannel = ManagedChannelBuilder.forAddress("localhost", Services.transactionPort()).usePlaintext().build();
        segmentChannel = ManagedChannelBuilder.forAddress("localhost", Services.segmentPort()).usePlaintext().build();
        stores = StoreServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        carts = CartServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        pageViews = PageViewServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(token);
        transactions = TransactionServiceGrpc.newBlockingStub(transactionChannel).withCallCredentials(token);
        contacts = ContactServiceGrpc.newBlockingStub(segmentChannel).withCallCredentials(token);
        segments = SegmentServiceGrpc.newBlockingStub(segmentChannel).withCallCredentials(token);
    }

    /** A new store (EUR) with one site that allows {@code origins}; answers the site (its key inside). */
    public Site newSite(TrackingMode mode, String restoreUrl, String... origins) {
        String store = "s-" + UUID.randomUUID().toString().substring(0, 8);
        stores.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder().setStoreId(store).setCurrencyCode("EUR")
                .setTimeZone("Europe/Paris").setAbandonmentDelay(com.google.protobuf.Duration.newBuilder().setSeconds(3600))).build());
        return stores.createSite(CreateSiteRequest.newBuilder().setSite(Site.newBuilder().setSiteId(store + "-web").setStoreId(store)
                .addAllAllowedOrigins(List.of(origins)).setTrackingMode(mode).setRestoreUrl(restoreUrl)).build()).getSite();
    }

    public HttpResponse<String> post(String path, String contentType, String body, String origin) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body));
        if (origin != null) {
            b.header("Origin", origin);
        }
        return send(b.build());
    }

    public HttpResponse<String> batch(String siteKey, String body, String origin) {
        return post("/t/" + siteKey, "application/json", body, origin);
    }

    public HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b.build());
    }

    public HttpResponse<String> api(String method, String json) {
        return send(HttpRequest.newBuilder(URI.create(base + "/api/v1/" + method)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (ManagedChannel c : new ManagedChannel[] {cartChannel, transactionChannel, segmentChannel}) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
