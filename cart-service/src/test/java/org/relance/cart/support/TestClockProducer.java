package org.relance.cart.support;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.relance.kit.time.MutableClock;

/** Replaces the system clock in tests, so that abandonment and retention can be reached at once. */
public class TestClockProducer {
    @Produces
    @Singleton
    MutableClock clock() {
        return new MutableClock();
    }
}
