package org.relance.edge;

import com.google.protobuf.Empty;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.CartServiceGrpc;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.segment.v1.ContactServiceGrpc;
import org.relance.api.segment.v1.SegmentServiceGrpc;
import org.relance.api.segment.v1.TriggerServiceGrpc;
import org.relance.api.transaction.v1.CatalogServiceGrpc;
import org.relance.api.transaction.v1.TransactionServiceGrpc;
import org.relance.edge.support.EdgeClient;
import org.relance.edge.support.Services;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Security checks that hold for the whole suite: every gRPC method of every service refuses a call
 * without the internal token, or with a wrong one, before reading the request; the read API refuses
 * without the admin token; and no token or secret shows up in the services' logs.
 */
@QuarkusTest
@QuarkusTestResource(Services.class)
class SecurityIT {

    /** Every method of every service, with the port of the process that serves it. */
    private static Map<ServiceDescriptor, Integer> services() {
        return Map.of(
                CartServiceGrpc.getServiceDescriptor(), Services.cartPort(),
                StoreServiceGrpc.getServiceDescriptor(), Services.cartPort(),
                org.relance.api.cart.v1.PageViewServiceGrpc.getServiceDescriptor(), Services.cartPort(),
                TransactionServiceGrpc.getServiceDescriptor(), Services.transactionPort(),
                CatalogServiceGrpc.getServiceDescriptor(), Services.transactionPort(),
                ContactServiceGrpc.getServiceDescriptor(), Services.segmentPort(),
                SegmentServiceGrpc.getServiceDescriptor(), Services.segmentPort(),
                TriggerServiceGrpc.getServiceDescriptor(), Services.segmentPort());
    }

    @Test
    void everyGrpcMethodRefusesCallsWithoutTheRightToken() throws Exception {
        List<String> refused = new ArrayList<>();
        List<String> answered = new ArrayList<>();
        for (Map.Entry<ServiceDescriptor, Integer> service : services().entrySet()) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", service.getValue()).usePlaintext().build();
            try {
                for (MethodDescriptor<?, ?> method : service.getKey().getMethods()) {
                    for (String authorization : new String[] {null, "Bearer not-the-token", "Basic dGVzdC10b2tlbg=="}) {
                        Status status = call(channel, method.getFullMethodName(), authorization);
                        String what = method.getFullMethodName() + " with " + authorization;
                        // A method the service does not implement (yet) runs nothing either.
                        boolean absent = status.getCode() == Status.Code.UNIMPLEMENTED
                                && String.valueOf(status.getDescription()).startsWith("Method not found");
                        if (status.getCode() == Status.Code.UNAUTHENTICATED || absent) {
                            refused.add(what);
                            assertThat(status.getDescription()).as(what).doesNotContain(Services.TOKEN);
                        } else {
                            answered.add(what + " -> " + status);
                        }
                    }
                }
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
        assertThat(answered).isEmpty();
        // 8 services, about 65 methods, three wrong credentials each.
        assertThat(refused.size()).isGreaterThan(100);
    }

    /** Calls a method with an empty message (bytes, whatever its type) and answers the final status. */
    private static Status call(ManagedChannel channel, String fullMethodName, String authorization) throws Exception {
        MethodDescriptor<Empty, Empty> method = MethodDescriptor.<Empty, Empty>newBuilder()
                .setType(MethodDescriptor.MethodType.UNKNOWN)
                .setFullMethodName(fullMethodName)
                .setRequestMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance()))
                .setResponseMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance()))
                .build();
        ClientCall<Empty, Empty> call = channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
        CompletableFuture<Status> closed = new CompletableFuture<>();
        Metadata headers = new Metadata();
        if (authorization != null) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
        }
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, headers);
        call.request(1);
        call.sendMessage(Empty.getDefaultInstance());
        call.halfClose();
        return closed.get(15, TimeUnit.SECONDS);
    }

    @Test
    void theReadApiRefusesWithoutTheAdminTokenAndTheInternalTokenIsNotIt() throws Exception {
        String base = "http://localhost:" + org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getValue("quarkus.http.test-port", Integer.class);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        for (String authorization : new String[] {null, "Bearer " + Services.TOKEN, "Bearer test-admin-token-not", "bearer test-admin-token",
                "Bearer " + EdgeClient.ADMIN_TOKEN}) {
            java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(base + "/api/v1/StoreService/ListStores")).POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}"));
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (("Bearer " + EdgeClient.ADMIN_TOKEN).equals(authorization)) {
                assertThat(r.statusCode()).isEqualTo(200);
            } else {
                assertThat(r.statusCode()).as(String.valueOf(authorization)).isEqualTo(401);
                assertThat(r.body()).doesNotContain(EdgeClient.ADMIN_TOKEN).doesNotContain(Services.TOKEN);
            }
        }
        assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/v1/sites/x/rejections")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
    }

    @Test
    void noTokenOrSecretAppearsInTheServicesLogs() throws IOException {
        List<Path> logs;
        try (Stream<Path> files = Files.walk(Path.of("target"))) {
            logs = files.filter(p -> p.getFileName().toString().equals("service.log")).toList();
        }
        assertThat(logs).isNotEmpty();
        for (Path log : logs) {
            String text = Files.readString(log);
            assertThat(text).as(log.toString()).doesNotContain(Services.TOKEN).doesNotContain(Services.LINK_SECRET)
                    .doesNotContain("test-admin-token");
        }
    }
}
