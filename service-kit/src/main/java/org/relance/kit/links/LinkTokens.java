package org.relance.kit.links;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed, expiring tokens carried in links: restore links ({@code /r/{token}}, made for reminders)
 * and contact tokens ({@code rl_ct}, that identify the visitor who followed a link). The segment
 * service makes them and the edge checks them, with the same secret ({@code RELANCE_LINK_SECRET}).
 *
 * <p>Format: {@code v1.<kind>.<fields>.<expiry>.<mac>} where fields are base64url (no padding) of
 * the values joined by a unit separator, expiry is epoch seconds, and mac is base64url
 * HMAC-SHA256 of everything before it. No JSON parser on the hot path, and nothing secret inside:
 * the values are only signed, not hidden, so a token names ids but never an e-mail address.
 */
public final class LinkTokens {
    /** The kinds of token. */
    public enum Kind {
        /** A restore link: store, site, cart, contact, notification id. */
        RESTORE("r"),
        /** A contact token: store, contact. */
        CONTACT("c");

        private final String code;

        Kind(String code) {
            this.code = code;
        }
    }

    /** A verified token. */
    public record Token(Kind kind, List<String> values, Instant expiry) {
    }

    /** Why a token was refused. */
    public enum Problem {
        MALFORMED, BAD_SIGNATURE, EXPIRED
    }

    /** The outcome of {@link #verify}: a token or a problem. */
    public record Verified(Optional<Token> token, Problem problem) {
    }

    private static final char SEPARATOR = '\u001f';
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
    /** Tokens are short; anything longer is refused before any work. */
    public static final int MAX_LENGTH = 2048;

    private final SecretKeySpec key;

    /** The secret must be at least 16 characters. */
    public LinkTokens(String secret) {
        if (secret == null || secret.length() < 16) {
            throw new IllegalArgumentException("the link secret must have at least 16 characters");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    /** Signs the values; none may contain the unit separator. */
    public String sign(Kind kind, Instant expiry, String... values) {
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            String value = values[i] == null ? "" : values[i];
            if (value.indexOf(SEPARATOR) >= 0) {
                throw new IllegalArgumentException("a token value contains U+001F");
            }
            if (i > 0) {
                joined.append(SEPARATOR);
            }
            joined.append(value);
        }
        String body = "v1." + kind.code + "." + ENCODER.encodeToString(joined.toString().getBytes(StandardCharsets.UTF_8))
                + "." + expiry.getEpochSecond();
        return body + "." + ENCODER.encodeToString(mac(body));
    }

    /** Checks the format, the signature (constant time), the kind and the expiry. */
    public Verified verify(String token, Kind expected, Instant now) {
        if (token == null || token.isEmpty() || token.length() > MAX_LENGTH) {
            return new Verified(Optional.empty(), Problem.MALFORMED);
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 5 || !parts[0].equals("v1") || !parts[1].equals(expected.code)) {
            return new Verified(Optional.empty(), Problem.MALFORMED);
        }
        byte[] given;
        byte[] joined;
        long expiry;
        try {
            given = DECODER.decode(parts[4]);
            joined = DECODER.decode(parts[2]);
            expiry = Long.parseLong(parts[3]);
        } catch (IllegalArgumentException e) {
            return new Verified(Optional.empty(), Problem.MALFORMED);
        }
        String body = token.substring(0, token.length() - parts[4].length() - 1);
        if (!MessageDigest.isEqual(mac(body), given)) {
            return new Verified(Optional.empty(), Problem.BAD_SIGNATURE);
        }
        if (now.getEpochSecond() >= expiry) {
            return new Verified(Optional.empty(), Problem.EXPIRED);
        }
        List<String> values = new ArrayList<>();
        String text = new String(joined, StandardCharsets.UTF_8);
        int start = 0;
        for (int i = 0; i <= text.length(); i++) {
            if (i == text.length() || text.charAt(i) == SEPARATOR) {
                values.add(text.substring(start, i));
                start = i + 1;
            }
        }
        return new Verified(Optional.of(new Token(expected, List.copyOf(values), Instant.ofEpochSecond(expiry))), null);
    }

    private byte[] mac(String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(body.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }
}
