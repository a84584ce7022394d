package org.relance.edge.chaos;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.relance.edge.chaos.Topology.Service;

/**
 * The short chaos pass of every build (docs/chaos.md): under a steady tracker load through the
 * packaged edge, the cart service is killed with SIGKILL and restarted, then the proxy cuts every
 * database connection for a few seconds. Nothing acknowledged is lost, nothing is applied twice,
 * readiness drops while the database is away, and the facts equal a rebuild from the streams.
 */
class ChaosProcessIT extends ChaosSuite {

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aKilledCartServiceAndACutDatabaseLoseNothingAndApplyNothingTwice() throws Exception {
        run(new Plan("short", 30, 120, Duration.ofSeconds(10), Duration.ofSeconds(6), List.of(
                kill(Service.CART),
                proxyCut(Duration.ofSeconds(4)))));
    }
}
