package org.relance.cart.support;

import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.math.BigDecimal;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.ClearCartOperation;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.RemoveCartItemOperation;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.SubmitCartResponse;
import org.relance.api.cart.v1.UpdateCartItemOperation;
import org.relance.api.cart.v1.UpdateCartOperation;
import org.relance.api.common.v1.Money;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;

/** A real gRPC client of the running test application (loopback socket, bearer token). */
public final class CartApi implements AutoCloseable {
    public static final String TOKEN = "test-token";

    public final ManagedChannel channel;
    public final CartServiceGrpc.CartServiceBlockingStub carts;
    public final StoreServiceGrpc.StoreServiceBlockingStub stores;
    public final org.relance.api.cart.v1.PageViewServiceGrpc.PageViewServiceBlockingStub pageViews;

    public CartApi() {
        this(TOKEN);
    }

    public CartApi(String token) {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        CartServiceGrpc.CartServiceBlockingStub c = CartServiceGrpc.newBlockingStub(channel);
        StoreServiceGrpc.StoreServiceBlockingStub s = StoreServiceGrpc.newBlockingStub(channel);
        var p = org.relance.api.cart.v1.PageViewServiceGrpc.newBlockingStub(channel);
        if (token != null) {
            c = c.withCallCredentials(new BearerToken(token));
            s = s.withCallCredentials(new BearerToken(token));
            p = p.withCallCredentials(new BearerToken(token));
        }
        carts = c;
        stores = s;
        pageViews = p;
    }

    /** A new store with its own id (EUR, 60 min delay, 15 days retention). */
    public String newStore() {
        String id = "s-" + UUID.randomUUID().toString().substring(0, 12);
        stores.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder()
                .setStoreId(id).setDisplayName("Test " + id).setCurrencyCode("EUR").setTimeZone("Europe/Paris")
                .setAbandonmentDelay(Duration.newBuilder().setSeconds(3600))).build());
        return id;
    }

    public static String newId(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 8);
    }

    public SubmitCartResponse submit(String storeId, CartOperation... ops) {
        return carts.submitCart(request(storeId, ops).build());
    }

    public static SubmitCartRequest.Builder request(String storeId, CartOperation... ops) {
        return SubmitCartRequest.newBuilder().setStoreId(storeId).setSubmitId(UUID.randomUUID().toString())
                .addAllOperations(List.of(ops));
    }

    public org.relance.api.cart.v1.Cart cart(String storeId, String cartId) {
        return carts.getCart(GetCartRequest.newBuilder().setStoreId(storeId).setCartId(cartId).build()).getCart();
    }

    public static Money money(String amount) {
        return Moneys.toMoney(new BigDecimal(amount), "");
    }

    public static BigDecimal decimal(Money money) {
        return BigDecimal.valueOf(money.getUnits()).add(BigDecimal.valueOf(money.getNanos(), 9)).stripTrailingZeros();
    }

    public static CartOperation addCart(String cartId, String status, String total) {
        AddCartOperation.Builder b = AddCartOperation.newBuilder().setCartId(cartId).setTotalPrice(money(total));
        if (status != null) {
            b.setStatus(status);
        }
        return CartOperation.newBuilder().setAddCart(b).build();
    }

    public static CartOperation updateCart(String cartId, String status, String total) {
        UpdateCartOperation.Builder b = UpdateCartOperation.newBuilder().setCartId(cartId);
        if (status != null) {
            b.setStatus(status);
        }
        if (total != null) {
            b.setTotalPrice(money(total));
        }
        return CartOperation.newBuilder().setUpdateCart(b).build();
    }

    public static CartOperation addItem(String cartId, String productId, String name, String price, int quantity) {
        return CartOperation.newBuilder().setAddCartItem(AddCartItemOperation.newBuilder().setCartId(cartId)
                .setProductId(productId).setProductName(name).setUnitPrice(money(price)).setQuantity(quantity)).build();
    }

    public static CartOperation updateItem(String cartId, String productId, String name, String price, Integer quantity) {
        UpdateCartItemOperation.Builder b = UpdateCartItemOperation.newBuilder().setCartId(cartId).setProductId(productId);
        if (name != null) {
            b.setProductName(name);
        }
        if (price != null) {
            b.setUnitPrice(money(price));
        }
        if (quantity != null) {
            b.setQuantity(quantity);
        }
        return CartOperation.newBuilder().setUpdateCartItem(b).build();
    }

    public static CartOperation removeItem(String cartId, String productId) {
        return CartOperation.newBuilder().setRemoveCartItem(RemoveCartItemOperation.newBuilder().setCartId(cartId)
                .setProductId(productId)).build();
    }

    public static CartOperation clear(String cartId) {
        return CartOperation.newBuilder().setClearCart(ClearCartOperation.newBuilder().setCartId(cartId)).build();
    }

    /** The field violations a refused call carried. */
    public static List<BadRequest.FieldViolation> violations(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null) {
            return List.of();
        }
        return status.getDetailsList().stream().filter(d -> d.is(BadRequest.class)).flatMap(d -> {
            try {
                return d.unpack(BadRequest.class).getFieldViolationsList().stream();
            } catch (InvalidProtocolBufferException ex) {
                throw new IllegalStateException(ex);
            }
        }).toList();
    }

    /** The google.rpc.ErrorInfo reason of a refused call. */
    public static String reason(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null) {
            return "";
        }
        return status.getDetailsList().stream().filter(d -> d.is(com.google.rpc.ErrorInfo.class)).map(d -> {
            try {
                return d.unpack(com.google.rpc.ErrorInfo.class).getReason();
            } catch (InvalidProtocolBufferException ex) {
                throw new IllegalStateException(ex);
            }
        }).findFirst().orElse("");
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
