package org.relance.kit.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.ExceptionHandler;
import io.quarkus.grpc.ExceptionHandlerProvider;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Installs {@link GrpcStatusMapper} as Quarkus's gRPC exception handling, replacing its
 * default (which would send exception class names and messages to callers).
 */
@ApplicationScoped
public class RelanceExceptionHandlerProvider implements ExceptionHandlerProvider {

    @Override
    public <ReqT, RespT> ExceptionHandler<ReqT, RespT> createHandler(
            ServerCall.Listener<ReqT> listener, ServerCall<ReqT, RespT> call, Metadata metadata) {
        return new ExceptionHandler<>(listener, call, metadata) {
            @Override
            protected void handleException(Throwable failure, ServerCall<ReqT, RespT> serverCall, Metadata headers) {
                StatusRuntimeException mapped = GrpcStatusMapper.toStatusException(failure);
                Metadata trailers = mapped.getTrailers() == null ? new Metadata() : mapped.getTrailers();
                serverCall.close(mapped.getStatus(), trailers);
            }
        };
    }

    @Override
    public Throwable transform(Throwable failure) {
        return GrpcStatusMapper.toStatusException(failure);
    }
}
