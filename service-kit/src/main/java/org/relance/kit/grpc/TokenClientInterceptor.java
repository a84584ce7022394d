package org.relance.kit.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Presents the internal token ({@code relance.grpc.token}) on every call this service makes to another. */
@GlobalInterceptor
@ApplicationScoped
public class TokenClientInterceptor implements ClientInterceptor {
    private final String header;

    public TokenClientInterceptor(@ConfigProperty(name = "relance.grpc.token") String token) {
        this.header = "Bearer " + token;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
                                                               CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<RespT> listener, Metadata headers) {
                headers.put(TokenAuthInterceptor.AUTHORIZATION, header);
                super.start(listener, headers);
            }
        };
    }
}
