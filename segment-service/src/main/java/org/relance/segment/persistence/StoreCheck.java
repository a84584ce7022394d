package org.relance.segment.persistence;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.relance.api.cart.v1.GetStoreRequest;
import org.relance.api.cart.v1.MutinyStoreServiceGrpc;
import org.relance.api.cart.v1.Store;
import org.relance.kit.error.Violations;

/** Which stores exist (the cart service owns them); known stores are cached. */
@Singleton
public class StoreCheck {
    private final MutinyStoreServiceGrpc.MutinyStoreServiceStub stores;
    private final Map<String, Store> known = new ConcurrentHashMap<>();

    public StoreCheck(@GrpcClient("cart") MutinyStoreServiceGrpc.MutinyStoreServiceStub stores) {
        this.stores = stores;
    }

    /** The store, or null when it does not exist. */
    public Uni<Store> find(String storeId) {
        Store cached = known.get(storeId);
        if (cached != null) {
            return Uni.createFrom().item(cached);
        }
        return stores.withDeadlineAfter(5, TimeUnit.SECONDS).getStore(GetStoreRequest.newBuilder().setStoreId(storeId).build())
                .map(r -> {
                    known.put(storeId, r.getStore());
                    return r.getStore();
                })
                .onFailure(e -> e instanceof StatusRuntimeException s
                        && (s.getStatus().getCode() == Status.Code.NOT_FOUND || s.getStatus().getCode() == Status.Code.INVALID_ARGUMENT))
                .recoverWithNull();
    }

    /** Adds a violation for each store (id → field) that does not exist. */
    public Uni<Void> check(Map<String, String> fieldsByStore, Violations v) {
        Set<String> ids = fieldsByStore.keySet();
        if (ids.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(ids)
                .onItem().transformToUniAndConcatenate(id -> find(id).invoke(store -> {
                    if (store == null) {
                        v.add(fieldsByStore.get(id), "store " + id + " does not exist");
                    }
                }))
                .collect().asList().replaceWithVoid();
    }
}
