package org.relance.cart;

import com.google.protobuf.Descriptors.MethodDescriptor;
import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.CartServiceProto;
import org.relance.api.cart.v1.CreateSiteRequest;
import org.relance.api.cart.v1.PageViewServiceProto;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.StoreServiceProto;
import org.relance.cart.support.CartApi;
import org.relance.kit.db.Database;
import org.relance.kit.fuzz.GrpcFuzzer;
import org.relance.kit.fuzz.TableDigest;
import org.relance.kit.grpc.BearerToken;

import static org.assertj.core.api.Assertions.assertThat;
import static org.relance.cart.support.CartApi.newId;

/**
 * Hostile input straight at the cart service's gRPC methods (every unary method of CartService,
 * StoreService and PageViewService), from a seeded generator: the service refuses with a
 * precise status and never fails (no INTERNAL / UNKNOWN), never leaks internals in its
 * messages, and a refused call leaves every table exactly as it was.
 */
@QuarkusTest
class GrpcFuzzIT {
    private static final long SEED = Long.getLong("relance.fuzz.seed", 20261122L);
    private static final int CALLS = Integer.getInteger("relance.fuzz.calls", 600);

    @Inject
    Database database;

    @Test
    void hostileCallsAreRefusedPreciselyAndChangeNothing() throws InterruptedException {
        try (CartApi api = new CartApi()) {
            String store = api.newStore();
            String site = newId("site-");
            api.stores.createSite(CreateSiteRequest.newBuilder().setSite(Site.newBuilder().setSiteId(site).setStoreId(store)
                    .addAllowedOrigins("https://shop.example").setCartPagePattern("/cart*")
                    .setThankYouPagePattern("/thanks*")).build());
            GrpcFuzzer fuzzer = new GrpcFuzzer(SEED, Map.of(
                    "store_id", List.of(store), "site_id", List.of(site), "cart_id", List.of("C1", "C2"),
                    "visitor_id", List.of("visitor-1"), "contact_id", List.of("contact-1"),
                    "url", List.of("https://shop.example/cart", "https://shop.example/thanks?o=1"),
                    "currency_code", List.of("EUR"), "submit_id", List.of("sub-1", "sub-2")));
            List<MethodDescriptor> methods = GrpcFuzzer.unaryMethods(CartServiceProto.getDescriptor(),
                    StoreServiceProto.getDescriptor(), PageViewServiceProto.getDescriptor());
            BearerToken token = new BearerToken(CartApi.TOKEN);

            GrpcFuzzer.Report report = fuzzer.run(api.channel, token, methods, CALLS, this::fingerprint, () -> { },
                    List.of(CartApi.TOKEN));
            assertThat(report.failures()).as("calls that failed instead of refusing").isEmpty();
            assertThat(report.leaks()).as("refusals naming internals or the token").isEmpty();
            assertThat(report.changedByRefusal()).as("refused calls that changed a table").isEmpty();
            // The generator reaches both sides: refusals of every kind and calls that are applied.
            assertThat(report.count(Status.Code.OK)).as("accepted calls, of %s", report.codes()).isGreaterThan(20);
            assertThat(report.count(Status.Code.INVALID_ARGUMENT)).as("refusals, of %s", report.codes()).isGreaterThan(CALLS / 3);
        }
    }

    private Map<String, String> fingerprint() {
        return TableDigest.of(database, Set.of());
    }
}
