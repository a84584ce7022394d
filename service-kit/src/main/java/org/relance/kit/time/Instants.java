package org.relance.kit.time;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Times as PostgreSQL keeps them (microseconds), so that what a call answers is what is stored. */
public final class Instants {
    private Instants() {
    }

    /** The clock's instant, truncated to microseconds. */
    public static Instant now(Clock clock) {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    /** {@code instant} truncated to microseconds (null stays null). */
    public static Instant micros(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.MICROS);
    }
}
