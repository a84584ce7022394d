package org.relance.segment;

import com.google.protobuf.Descriptors.MethodDescriptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.segment.v1.ContactServiceProto;
import org.relance.api.segment.v1.SegmentServiceProto;
import org.relance.api.segment.v1.TriggerServiceProto;
import org.relance.kit.db.Database;
import org.relance.kit.fuzz.GrpcFuzzer;
import org.relance.kit.fuzz.TableDigest;
import org.relance.kit.grpc.BearerToken;
import org.relance.segment.support.SuiteProcesses;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile input straight at the segment service's gRPC methods (every unary method of
 * ContactService, SegmentService and TriggerService, deep condition trees included), from a
 * seeded generator: refusals with a precise status, never INTERNAL / UNKNOWN, no internals in
 * messages, and no row changed by a refused call.
 */
@QuarkusTest
@QuarkusTestResource(SuiteProcesses.class)
class GrpcFuzzIT {
    private static final long SEED = Long.getLong("relance.fuzz.seed", 20261122L);
    private static final int CALLS = Integer.getInteger("relance.fuzz.calls", 500);
    /**
     * Written in the background, not by a call: the facts and positions the event streams feed,
     * and the notifications the dispatcher claims and delivers.
     */
    private static final Set<String> BACKGROUND = Set.of("cart_fact", "purchase_fact", "contact_fact", "stream_position",
            "page_url", "contact_page_day", "visitor_page_day", "page_visitor", "notification", "notification_attempt");

    @Inject
    Database database;

    @Test
    void hostileCallsAreRefusedPreciselyAndChangeNothing() throws InterruptedException {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        ManagedChannel own = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        ManagedChannel cart = ManagedChannelBuilder.forAddress("localhost", SuiteProcesses.cartPort()).usePlaintext().build();
        BearerToken token = new BearerToken(SuiteProcesses.TOKEN);
        try {
            String store = "s-" + UUID.randomUUID().toString().substring(0, 10);
            StoreServiceGrpc.newBlockingStub(cart).withCallCredentials(token).createStore(CreateStoreRequest.newBuilder()
                    .setStore(Store.newBuilder().setStoreId(store).setCurrencyCode("EUR")).build());
            GrpcFuzzer fuzzer = new GrpcFuzzer(SEED, Map.of(
                    "store_id", List.of(store), "contact_id", List.of("contact-1", "contact-2"),
                    "visitor_id", List.of("visitor-1"), "email", List.of("ada@example.com", "not-an-email"),
                    "url_pattern", List.of("/cart*", "*/promo/*"), "url", List.of("https://hooks.example/relance"),
                    "currency_code", List.of("EUR"), "time_zone", List.of("Europe/Paris")));
            List<MethodDescriptor> methods = GrpcFuzzer.unaryMethods(ContactServiceProto.getDescriptor(),
                    SegmentServiceProto.getDescriptor(), TriggerServiceProto.getDescriptor());

            GrpcFuzzer.Report report = fuzzer.run(own, token, methods, CALLS, () -> TableDigest.of(database, BACKGROUND), () -> { },
                    List.of(SuiteProcesses.TOKEN));
            assertThat(report.failures()).as("calls that failed instead of refusing").isEmpty();
            assertThat(report.leaks()).as("refusals naming internals or the token").isEmpty();
            assertThat(report.changedByRefusal()).as("refused calls that changed a table").isEmpty();
            assertThat(report.count(Status.Code.OK)).as("accepted calls, of %s", report.codes()).isGreaterThan(20);
            assertThat(report.count(Status.Code.INVALID_ARGUMENT)).as("refusals, of %s", report.codes()).isGreaterThan(CALLS / 3);
        } finally {
            own.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            cart.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
