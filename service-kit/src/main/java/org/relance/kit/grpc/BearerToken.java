package org.relance.kit.grpc;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.concurrent.Executor;

import static java.util.Objects.requireNonNull;

/** Client side of {@link TokenAuthInterceptor}: adds the bearer token to every call. */
public final class BearerToken extends CallCredentials {
    private final String token;

    public BearerToken(String token) {
        this.token = requireNonNull(token, "token");
    }

    @Override
    public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(TokenAuthInterceptor.AUTHORIZATION, "Bearer " + token);
        applier.apply(headers);
    }
}
