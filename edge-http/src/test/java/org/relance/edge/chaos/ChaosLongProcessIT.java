package org.relance.edge.chaos;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.relance.edge.chaos.Topology.Service;

/**
 * The long chaos run, its own command ({@code bench/chaos}; the build's default includes leave
 * it out): a heavier load, and every fault in turn — SIGKILL of each of the four services, a
 * PostgreSQL restart, and the proxy adding latency, cutting and stalling. {@code -Dchaos.calm=N}
 * sets the seconds of steady load between faults (default 15), {@code -Dchaos.rate=N} the
 * batches per second (default 80).
 */
class ChaosLongProcessIT extends ChaosSuite {

    @Test
    @Timeout(value = 40, unit = TimeUnit.MINUTES)
    void everyFaultInTurnLosesNothingAndAppliesNothingTwice() throws Exception {
        run(new Plan("long", Integer.getInteger("chaos.rate", 80), 400, Duration.ofSeconds(20),
                Duration.ofSeconds(Long.getLong("chaos.calm", 15)), List.of(
                kill(Service.CART),
                kill(Service.TRANSACTION),
                kill(Service.SEGMENT),
                kill(Service.EDGE),
                postgresRestart(Duration.ofSeconds(5)),
                proxyLatency(200, Duration.ofSeconds(20)),
                proxyCut(Duration.ofSeconds(8)),
                proxyStall(Duration.ofSeconds(8)))));
    }
}
