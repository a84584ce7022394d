package org.relance.kit.grpc;

import com.google.protobuf.Timestamp;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.relance.kit.error.Violations;

/** Conversions every gRPC layer needs: timestamps, proto3's empty strings, opaque page tokens. */
public final class ProtoValues {
    private ProtoValues() {
    }

    public static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    public static Instant instant(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }

    /** Earliest and latest seconds of a valid Timestamp (0001-01-01 to 9999-12-31, as google.protobuf says). */
    private static final long MIN_SECONDS = -62_135_596_800L;
    private static final long MAX_SECONDS = 253_402_300_799L;
    /** A valid Duration is at most 10,000 years either way. */
    private static final long MAX_DURATION_SECONDS = 315_576_000_000L;

    /** A client's timestamp, or null with a violation on {@code field} when it is outside what google.protobuf allows. */
    public static Instant instant(Timestamp timestamp, String field, Violations v) {
        if (timestamp.getSeconds() < MIN_SECONDS || timestamp.getSeconds() > MAX_SECONDS
                || timestamp.getNanos() < 0 || timestamp.getNanos() > 999_999_999) {
            v.add(field, "must be a valid time between 0001-01-01 and 9999-12-31 (nanos 0 to 999999999)");
            return null;
        }
        return instant(timestamp);
    }

    /** A client's duration, or null with a violation on {@code field} when it is outside what google.protobuf allows. */
    public static java.time.Duration duration(com.google.protobuf.Duration d, String field, Violations v) {
        boolean signsAgree = d.getSeconds() == 0 || d.getNanos() == 0 || (d.getSeconds() < 0) == (d.getNanos() < 0);
        if (Math.abs(d.getSeconds()) > MAX_DURATION_SECONDS || d.getNanos() <= -1_000_000_000 || d.getNanos() >= 1_000_000_000
                || !signsAgree) {
            v.add(field, "must be a valid duration (at most 10,000 years, nanos between -999999999 and 999999999 "
                    + "with the sign of seconds)");
            return null;
        }
        return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
    }

    /** proto3 strings are never null: empty means absent. */
    public static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    public static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }

    /** An opaque token for the page starting at {@code offset}. */
    public static String offsetToken(int offset) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("o" + offset).getBytes(StandardCharsets.UTF_8));
    }

    /** The offset of a token from {@link #offsetToken}; 0 for none; a violation on {@code page_token} for a forged one. */
    public static int offset(String token, Violations v) {
        if (token.isEmpty()) {
            return 0;
        }
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (decoded.startsWith("o")) {
                int offset = Integer.parseInt(decoded.substring(1));
                if (offset >= 0) {
                    return offset;
                }
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        v.add("page_token", "is not a token this service issued");
        return 0;
    }
}
