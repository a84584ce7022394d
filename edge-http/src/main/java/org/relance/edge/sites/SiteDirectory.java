package org.relance.edge.sites;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.relance.api.cart.v1.GetSiteByKeyRequest;
import org.relance.api.cart.v1.MutinyStoreServiceGrpc;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.Store;
import org.relance.edge.config.EdgeConfig;
import org.relance.edge.http.ServiceCalls;

/**
 * Site keys to sites and their stores, read from the cart service (which owns them) and kept for a
 * short time: a tracker batch must not cost a lookup call. An unknown key is remembered too (for
 * less time), so that a stream of requests with a made-up key does not reach the cart service.
 * When the cart service cannot be reached, a site read before keeps serving.
 */
@Singleton
public class SiteDirectory {
    /** A site and its store, as the edge needs them. */
    public record KnownSite(Site site, Store store) {
        public boolean allowsOrigin(String origin) {
            return site.getAllowedOriginsList().contains(origin);
        }
    }

    private record Entry(Optional<KnownSite> site, Instant expiry) {
    }

    private static final Duration UNKNOWN_TTL = Duration.ofSeconds(5);
    private static final int MAX_ENTRIES = 10_000;

    private final MutinyStoreServiceGrpc.MutinyStoreServiceStub stores;
    private final ServiceCalls calls;
    private final Duration ttl;
    private final Clock clock;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    public SiteDirectory(@GrpcClient("cart") MutinyStoreServiceGrpc.MutinyStoreServiceStub stores, ServiceCalls calls,
                         EdgeConfig config, Clock clock) {
        this.stores = stores;
        this.calls = calls;
        this.ttl = config.siteCacheTtl();
        this.clock = clock;
    }

    /** The site of a key, empty when no site has it; fails UNAVAILABLE when it cannot be known. */
    public Uni<Optional<KnownSite>> find(String siteKey) {
        Instant now = clock.instant();
        Entry cached = entries.get(siteKey);
        if (cached != null && now.isBefore(cached.expiry())) {
            return Uni.createFrom().item(cached.site());
        }
        return calls.call(() -> stores.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS)
                        .getSiteByKey(GetSiteByKeyRequest.newBuilder().setSiteKey(siteKey).build()))
                .map(response -> Optional.of(new KnownSite(response.getSite(), response.getStore())))
                .onFailure(SiteDirectory::notFound).recoverWithItem(Optional.empty())
                .invoke(found -> remember(siteKey, found, now))
                .onFailure().recoverWithUni(failure -> cached != null && cached.site().isPresent()
                        ? Uni.createFrom().item(cached.site())
                        : Uni.createFrom().failure(failure));
    }

    /** Forgets one key, so that a site changed through this edge is read again at its next use. */
    public void forget(String siteKey) {
        entries.remove(siteKey);
    }

    /** Forgets what is known (tests change sites and must not wait for the TTL). */
    public void clear() {
        entries.clear();
    }

    private void remember(String siteKey, Optional<KnownSite> found, Instant now) {
        if (entries.size() >= MAX_ENTRIES) {
            // Unknown keys could fill the map; dropping everything is rare and only costs lookups.
            entries.clear();
        }
        entries.put(siteKey, new Entry(found, now.plus(found.isPresent() ? ttl : UNKNOWN_TTL)));
    }

    private static boolean notFound(Throwable failure) {
        if (!(failure instanceof StatusRuntimeException e)) {
            return false;
        }
        Status.Code code = e.getStatus().getCode();
        // A key that is not even well-formed is as unknown as a well-formed one nobody has.
        return code == Status.Code.NOT_FOUND || code == Status.Code.INVALID_ARGUMENT;
    }
}
