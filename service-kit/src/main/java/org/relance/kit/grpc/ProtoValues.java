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
