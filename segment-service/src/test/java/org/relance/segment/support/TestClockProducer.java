package org.relance.segment.support;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.relance.kit.time.MutableClock;

/** The service's clock in tests: the system clock, which a test may move (quiet hours end at once). */
public class TestClockProducer {
    @Produces
    @Singleton
    MutableClock clock() {
        return new MutableClock();
    }
}
