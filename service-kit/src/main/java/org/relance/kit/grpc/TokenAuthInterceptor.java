package org.relance.kit.grpc;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses every gRPC call that does not carry {@code authorization: Bearer <relance.grpc.token>},
 * except the standard health and reflection services. The token is compared in constant time
 * and never logged or echoed.
 */
@GlobalInterceptor
@ApplicationScoped
public class TokenAuthInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> OPEN_SERVICES = Set.of(
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection",
            "grpc.reflection.v1.ServerReflection");

    /** The default of a service run by hand on a laptop; never meant for a shared machine. */
    public static final String DEV_TOKEN = "relance-dev-token";

    private final byte[] expected;

    public TokenAuthInterceptor(@ConfigProperty(name = "relance.grpc.token") String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalStateException("relance.grpc.token (RELANCE_GRPC_TOKEN) must be set");
        }
        if (DEV_TOKEN.equals(token)) {
            org.jboss.logging.Logger.getLogger(TokenAuthInterceptor.class)
                    .warn("relance.grpc.token is the development default: set RELANCE_GRPC_TOKEN outside a laptop");
        }
        this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
            ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        String service = call.getMethodDescriptor().getServiceName();
        if (service != null && OPEN_SERVICES.contains(service)) {
            return next.startCall(call, headers);
        }
        String presented = headers.get(AUTHORIZATION);
        if (presented == null || !MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.UTF_8))) {
            StatusRuntimeException refused = StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                    .setCode(Code.UNAUTHENTICATED.getNumber())
                    .setMessage(presented == null ? "missing bearer token" : "invalid bearer token")
                    .addDetails(Any.pack(ErrorInfo.newBuilder()
                            .setDomain(GrpcStatusMapper.DOMAIN).setReason("UNAUTHENTICATED").build()))
                    .build());
            call.close(refused.getStatus(), refused.getTrailers());
            return new ServerCall.Listener<>() {
            };
        }
        return next.startCall(call, headers);
    }
}
