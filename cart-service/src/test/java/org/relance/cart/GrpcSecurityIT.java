package org.relance.cart;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import grpc.health.v1.HealthGrpc;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.GetStoreRequest;
import org.relance.api.cart.v1.ListStoresRequest;
import org.relance.cart.support.CartApi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.relance.cart.support.CartApi.addCart;

/** The internal token on every call; errors that say what the caller needs and nothing more. */
@QuarkusTest
class GrpcSecurityIT {

    @Test
    void callsWithoutTheTokenOrWithAWrongOneAreRefused() throws InterruptedException {
        for (String token : new String[] {null, "wrong-token", ""}) {
            try (CartApi anonymous = new CartApi(token)) {
                assertThatThrownBy(() -> anonymous.stores.listStores(ListStoresRequest.getDefaultInstance()))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                            assertThat(e.getStatus().getDescription()).doesNotContain(CartApi.TOKEN);
                        });
                assertThatThrownBy(() -> anonymous.submit("any", addCart("c", null, "1")))
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
            }
        }
    }

    @Test
    void healthAnswersWithoutAToken() throws InterruptedException {
        try (CartApi anonymous = new CartApi(null)) {
            HealthCheckResponse health = HealthGrpc.newBlockingStub(anonymous.channel)
                    .check(HealthCheckRequest.newBuilder().setService("").build());
            assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        }
    }

    @Test
    void refusalsNameTheProblemWithoutInternals() throws InterruptedException {
        try (CartApi api = new CartApi()) {
            assertThatThrownBy(() -> api.stores.getStore(GetStoreRequest.newBuilder().setStoreId("nope-" + System.nanoTime()).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                        assertThat(e.getStatus().getDescription()).startsWith("store nope-").endsWith("does not exist")
                                .doesNotContainIgnoringCase("exception").doesNotContain("SELECT");
                        assertThat(CartApi.reason(e)).isEqualTo("NOT_FOUND");
                    });
        }
    }
}
