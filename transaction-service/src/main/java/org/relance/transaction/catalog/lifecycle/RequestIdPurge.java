package org.relance.transaction.catalog.lifecycle;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Clock;
import org.jboss.logging.Logger;
import org.relance.kit.db.Reactive;
import org.relance.transaction.catalog.config.CatalogConfig;
import org.relance.transaction.catalog.persistence.CatalogRequests;

/** Forgets the request ids of catalogue upserts and imports once their retention has passed. */
@Singleton
public class RequestIdPurge {
    private static final Logger LOG = Logger.getLogger(RequestIdPurge.class);

    private final CatalogRequests requests;
    private final CatalogConfig config;
    private final Clock clock;

    public RequestIdPurge(CatalogRequests requests, CatalogConfig config, Clock clock) {
        this.requests = requests;
        this.config = config;
        this.clock = clock;
    }

    @Scheduled(every = "${relance.catalog.request-purge-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            identity = "catalog-request-purge")
    Uni<Void> scheduled() {
        return Reactive.uni(requests.purge(clock.instant().minus(config.requestRetention())))
                .invoke(n -> {
                    if (n > 0) {
                        LOG.infof("forgot %d catalogue request ids past retention", n);
                    }
                })
                .onFailure().invoke(e -> LOG.warnf("request id purge failed, next round retries: %s", e.toString()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }
}
