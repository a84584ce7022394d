package org.relance.kit.db;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import reactor.adapter.JdkFlowAdapter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Bridges Project Reactor (R2DBC) to Mutiny (Quarkus); {@code mutiny-reactor} is not available here. */
public final class Reactive {
    private Reactive() {
    }

    /** A {@code Uni} of the Mono's value ({@code null} when the Mono is empty). */
    public static <T> Uni<T> uni(Mono<T> mono) {
        return Uni.createFrom().publisher(JdkFlowAdapter.publisherToFlowPublisher(mono));
    }

    /** A {@code Multi} of the Flux's values, with back-pressure. */
    public static <T> Multi<T> multi(Flux<T> flux) {
        return Multi.createFrom().publisher(JdkFlowAdapter.publisherToFlowPublisher(flux));
    }
}
