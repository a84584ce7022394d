package org.relance.kit.links;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.relance.kit.links.LinkTokens.Kind;
import org.relance.kit.links.LinkTokens.Problem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinkTokensTest {
    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
    private final LinkTokens tokens = new LinkTokens("a-secret-of-enough-length");

    @Test
    void signedValuesComeBackUntilExpiry() {
        String token = tokens.sign(Kind.RESTORE, NOW.plusSeconds(60), "demo", "demo-shop", "C 001/é", "c-1", "");
        LinkTokens.Verified ok = tokens.verify(token, Kind.RESTORE, NOW.plusSeconds(59));
        assertThat(ok.problem()).isNull();
        assertThat(ok.token().orElseThrow().values()).isEqualTo(List.of("demo", "demo-shop", "C 001/é", "c-1", ""));
        assertThat(tokens.verify(token, Kind.RESTORE, NOW.plusSeconds(60)).problem()).isEqualTo(Problem.EXPIRED);
    }

    @Test
    void anyChangeBreaksTheSignature() {
        String token = tokens.sign(Kind.CONTACT, NOW.plusSeconds(3600), "demo", "c-1");
        String[] parts = token.split("\\.");
        // Another contact with the same signature; a later expiry; a signature from another secret.
        String otherContact = parts[0] + "." + parts[1] + "." + tokens.sign(Kind.CONTACT, NOW.plusSeconds(3600), "demo", "c-2").split("\\.")[2]
                + "." + parts[3] + "." + parts[4];
        String later = parts[0] + "." + parts[1] + "." + parts[2] + "." + (Long.parseLong(parts[3]) + 86400) + "." + parts[4];
        String foreign = new LinkTokens("another-secret-of-enough-length").sign(Kind.CONTACT, NOW.plusSeconds(3600), "demo", "c-1");
        assertThat(tokens.verify(otherContact, Kind.CONTACT, NOW).problem()).isEqualTo(Problem.BAD_SIGNATURE);
        assertThat(tokens.verify(later, Kind.CONTACT, NOW).problem()).isEqualTo(Problem.BAD_SIGNATURE);
        assertThat(tokens.verify(foreign, Kind.CONTACT, NOW).problem()).isEqualTo(Problem.BAD_SIGNATURE);
    }

    @Test
    void malformedOrWrongKindIsRefused() {
        String contact = tokens.sign(Kind.CONTACT, NOW.plusSeconds(3600), "demo", "c-1");
        assertThat(tokens.verify(contact, Kind.RESTORE, NOW).problem()).isEqualTo(Problem.MALFORMED);
        for (String bad : new String[] {"", "v1", "v1.c.x.y.z", "v2.c.AA.1.AA", "v1.c.!!.1.AA", "x".repeat(3000), "v1.c.AA.1.AA.AA"}) {
            assertThat(tokens.verify(bad, Kind.CONTACT, NOW).token()).as(bad).isEmpty();
        }
        assertThat(tokens.verify(null, Kind.CONTACT, NOW).problem()).isEqualTo(Problem.MALFORMED);
    }

    @Test
    void shortSecretsAndSeparatorsAreRefused() {
        assertThatThrownBy(() -> new LinkTokens("short")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tokens.sign(Kind.CONTACT, NOW, "a\u001fb")).isInstanceOf(IllegalArgumentException.class);
    }
}
