package org.relance.edge.http;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.util.function.Supplier;
import org.relance.edge.config.EdgeConfig;

/**
 * Calls toward the services: a deadline per attempt, and a bounded number of retries with a
 * doubling pause when a service is UNAVAILABLE (restarting, or not reached yet). Every call the edge
 * makes is safe to repeat: submits carry their id, transactions their id, identification is
 * harmless twice.
 */
@Singleton
public class ServiceCalls {
    private final EdgeConfig.Calls config;

    public ServiceCalls(EdgeConfig config) {
        this.config = config.calls();
    }

    /** The per-attempt deadline, for the caller's stub. */
    public long deadlineMillis() {
        return config.deadline().toMillis();
    }

    /** Runs {@code attempt} (which must set its own deadline) with the retries. */
    public <T> Uni<T> call(Supplier<Uni<T>> attempt) {
        return Uni.createFrom().<T>deferred(() -> attempt.get())
                .onFailure(ServiceCalls::retryable)
                .retry()
                .withBackOff(config.retryBackoff(), config.retryBackoff().multipliedBy(8))
                .withJitter(0.2)
                .atMost(config.retries());
    }

    /** UNAVAILABLE only: the call did not reach a service that could have applied it. */
    static boolean retryable(Throwable failure) {
        return failure instanceof StatusRuntimeException e && e.getStatus().getCode() == Status.Code.UNAVAILABLE;
    }

}
