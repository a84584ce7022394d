package org.relance.transaction.support;

import com.google.protobuf.Duration;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.math.BigDecimal;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.common.v1.Money;
import org.relance.api.transaction.v1.TransactionServiceGrpc;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;

/** Real gRPC clients of the transaction service under test and of the real cart service beside it. */
public final class Apis implements AutoCloseable {
    private final ManagedChannel own;
    private final ManagedChannel cart;
    public final TransactionServiceGrpc.TransactionServiceBlockingStub transactions;
    public final CartServiceGrpc.CartServiceBlockingStub carts;
    public final StoreServiceGrpc.StoreServiceBlockingStub stores;

    public Apis() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        own = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        cart = ManagedChannelBuilder.forAddress("localhost", CartServiceProcess.port()).usePlaintext().build();
        BearerToken token = new BearerToken(CartServiceProcess.TOKEN);
        transactions = TransactionServiceGrpc.newBlockingStub(own).withCallCredentials(token);
        carts = CartServiceGrpc.newBlockingStub(cart).withCallCredentials(token);
        stores = StoreServiceGrpc.newBlockingStub(cart).withCallCredentials(token);
    }

    public ManagedChannel channel() {
        return own;
    }

    /** A new store in the cart service (EUR, abandonment after {@code delaySeconds}). */
    public String newStore(long delaySeconds) {
        String id = "s-" + UUID.randomUUID().toString().substring(0, 12);
        stores.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder().setStoreId(id).setCurrencyCode("EUR")
                .setAbandonmentDelay(Duration.newBuilder().setSeconds(delaySeconds))).build());
        return id;
    }

    public static String newId(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 8);
    }

    public static Money money(String amount) {
        return Moneys.toMoney(new BigDecimal(amount), "");
    }

    public static BigDecimal decimal(Money m) {
        return BigDecimal.valueOf(m.getUnits()).add(BigDecimal.valueOf(m.getNanos(), 9)).stripTrailingZeros();
    }

    @Override
    public void close() throws InterruptedException {
        own.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        cart.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
