package org.relance.segment.triggers;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/**
 * Local hours (in a store's time zone) during which nothing is sent. An end earlier than the
 * start crosses midnight ("22:00" to "08:00").
 *
 * @param skip true to skip a notification due inside them, false to send it when they end
 */
public record QuietHours(LocalTime start, LocalTime end, boolean skip) {

    public QuietHours {
        if (start.equals(end)) {
            throw new IllegalArgumentException("quiet hours need an end different from their start");
        }
    }

    /** Whether {@code now} falls inside the quiet hours in {@code zone}. */
    public boolean contains(Instant now, ZoneId zone) {
        LocalTime t = now.atZone(zone).toLocalTime();
        if (start.isBefore(end)) {
            return !t.isBefore(start) && t.isBefore(end);
        }
        return !t.isBefore(start) || t.isBefore(end);
    }

    /** When the quiet hours containing {@code now} end (the next local {@code end} after it). */
    public Instant endAfter(Instant now, ZoneId zone) {
        ZonedDateTime local = now.atZone(zone);
        ZonedDateTime candidate = local.toLocalDate().atTime(end).atZone(zone);
        if (!candidate.isAfter(local)) {
            candidate = local.toLocalDate().plusDays(1).atTime(end).atZone(zone);
        }
        return candidate.toInstant();
    }
}
