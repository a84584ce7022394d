package org.relance.kit.health;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;

/** Ready only while the database answers: a service without its database takes no traffic. */
@Readiness
@ApplicationScoped
public class DatabaseHealthCheck implements AsyncHealthCheck {
    private final Database database;

    public DatabaseHealthCheck(Database database) {
        this.database = database;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return Reactive.uni(database.ping(Duration.ofSeconds(2)))
                .map(up -> HealthCheckResponse.named("database")
                        .withData("database", database.description())
                        .status(Boolean.TRUE.equals(up))
                        .build());
    }
}
