package org.relance.edge.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Page-view submits as the parser reads them (docs/tracker-protocol.md, "pageview"). */
class BatchParserPageViewTest {
    private static final Instant NOW = Instant.parse("2026-11-22T21:00:00Z");
    private final BatchParser parser = new BatchParser(new BatchParser.Limits(512_000, 32_768, 50), Clock.fixed(NOW, ZoneOffset.UTC));

    private Submit one(String submit) {
        String body = "{\"v\":1,\"visitorId\":\"v1.visitor-1\",\"submits\":[" + submit + "]}";
        return parser.parse(body.getBytes(StandardCharsets.UTF_8), "EUR").submits().get(0);
    }

    private static String view(String args, long time) {
        return "{\"id\":\"s1.view-1\",\"type\":\"pageview\",\"time\":" + time + ",\"args\":" + args + "}";
    }

    private static Submit.Invalid invalid(Submit s) {
        assertThat(s).isInstanceOf(Submit.Invalid.class);
        return (Submit.Invalid) s;
    }

    @Test
    void aPageViewKeepsItsUrlReferrerTitleAndTime() {
        long at = NOW.minusSeconds(30).toEpochMilli();
        Submit s = one(view("{\"url\":\"https://shop.example/shop/cart?x=1#top\",\"referrer\":\"https://www.google.com/\","
                + "\"title\":\"Your cart\"}", at));
        assertThat(s).isEqualTo(new Submit.PageView("s1.view-1", "https://shop.example/shop/cart?x=1#top", "https://www.google.com/",
                "Your cart", Instant.ofEpochMilli(at), ((Submit.PageView) s).json()));
    }

    @Test
    void referrerAndTitleMayBeMissingOrEmpty() {
        Submit s = one(view("{\"url\":\"http://shop.example/\",\"referrer\":\"\"}", NOW.toEpochMilli()));
        assertThat(s).isInstanceOfSatisfying(Submit.PageView.class, v -> {
            assertThat(v.referrer()).isEmpty();
            assertThat(v.title()).isEmpty();
        });
    }

    @Test
    void aMissingUrlIsRefusedNamingTheField() {
        Submit.Invalid bad = invalid(one(view("{\"title\":\"x\"}", NOW.toEpochMilli())));
        assertThat(bad.kind()).isEqualTo("pageview");
        assertThat(bad.reason()).isEqualTo("INVALID_SUBMIT");
        assertThat(bad.field()).isEqualTo("submits[0].args.url");
        assertThat(bad.message()).isEqualTo("is required");
    }

    @Test
    void aRelativeOrNonHttpUrlIsRefused() {
        assertThat(invalid(one(view("{\"url\":\"/shop/cart\"}", NOW.toEpochMilli()))).message())
                .isEqualTo("must be an absolute http or https URL");
        assertThat(invalid(one(view("{\"url\":\"javascript:alert(1)\"}", NOW.toEpochMilli()))).message())
                .isEqualTo("must be an absolute http or https URL");
    }

    @Test
    void tooLongValuesAreRefusedWithTheirLimit() {
        String longUrl = "https://shop.example/" + "a".repeat(2000);
        assertThat(invalid(one(view("{\"url\":\"" + longUrl + "\"}", NOW.toEpochMilli()))).message()).startsWith("must be at most 2000 characters");
        Submit.Invalid title = invalid(one(view("{\"url\":\"https://shop.example/\",\"title\":\"" + "t".repeat(501) + "\"}", NOW.toEpochMilli())));
        assertThat(title.field()).isEqualTo("submits[0].args.title");
        assertThat(title.message()).isEqualTo("at most 500 characters (got 501)");
        Submit.Invalid referrer = invalid(one(view("{\"url\":\"https://shop.example/\",\"referrer\":\"" + "r".repeat(2001) + "\"}",
                NOW.toEpochMilli())));
        assertThat(referrer.field()).isEqualTo("submits[0].args.referrer");
    }

    @Test
    void aTitleThatIsNotAStringIsRefused() {
        Submit.Invalid bad = invalid(one(view("{\"url\":\"https://shop.example/\",\"title\":{\"a\":1}}", NOW.toEpochMilli())));
        assertThat(bad.field()).isEqualTo("submits[0].args.title");
        assertThat(bad.message()).isEqualTo("must be a string");
    }

    @Test
    void aViewMoreThanADayOldIsRefusedAndOneFromAFastClockIsTakenAsNow() {
        Submit.Invalid old = invalid(one(view("{\"url\":\"https://shop.example/\"}", NOW.minus(Duration.ofHours(25)).toEpochMilli())));
        assertThat(old.field()).isEqualTo("submits[0].time");
        assertThat(old.message()).contains("more than a day old");
        Submit ahead = one(view("{\"url\":\"https://shop.example/\"}", NOW.plusSeconds(90).toEpochMilli()));
        assertThat(((Submit.PageView) ahead).viewTime()).isEqualTo(NOW);
        assertThat(invalid(one(view("{\"url\":\"https://shop.example/\"}", NOW.plus(Duration.ofDays(2)).toEpochMilli()))).message())
                .contains("in the future");
        assertThat(invalid(one("{\"id\":\"s1.v\",\"type\":\"pageview\",\"time\":\"soon\",\"args\":{\"url\":\"https://shop.example/\"}}"))
                .field()).isEqualTo("submits[0].time");
    }

    @Test
    void aViewWithoutArgsIsRefused() {
        Submit.Invalid bad = invalid(one("{\"id\":\"s1.v\",\"type\":\"pageview\"}"));
        assertThat(bad.field()).isEqualTo("submits[0].args");
    }

    @Test
    void anUnknownTypeNamesPageviewAmongTheTypes() {
        assertThat(invalid(one("{\"id\":\"s1.v\",\"type\":\"visit\",\"args\":{}}")).message()).contains("\"pageview\"");
    }
}
