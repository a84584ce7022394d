package org.relance.kit.url;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class UrlPatternTest {

    @Test
    void pathPatternsMatchPathAndQueryOfAnyHost() {
        UrlPattern cart = UrlPattern.parse("/cart*");
        assertTrue(cart.matches("https://shop.example/cart"));
        assertTrue(cart.matches("https://shop.example/cart?step=2"));
        assertTrue(cart.matches("https://other.example/CART/view"));
        assertFalse(cart.matches("https://shop.example/shop/cart"));
        assertEquals(UrlPattern.Target.PATH_AND_QUERY, cart.target());

        UrlPattern exact = UrlPattern.parse("/checkout/thank-you");
        assertTrue(exact.matches("https://shop.example/checkout/thank-you"));
        assertFalse(exact.matches("https://shop.example/checkout/thank-you?order=1"));
    }

    @Test
    void wholeUrlPatternsAreAnchoredAndLiteralExceptStar() {
        UrlPattern p = UrlPattern.parse("https://shop.example/p/*.html");
        assertTrue(p.matches("https://shop.example/p/tv.html"));
        assertTrue(p.matches("https://shop.example/p/a/b.html"));
        assertFalse(p.matches("https://shop.example/p/tvxhtml"), "'.' is literal");
        assertFalse(p.matches("http://shop.example/p/tv.html"));
        UrlPattern any = UrlPattern.parse("*/promo?*");
        assertTrue(any.matches("https://a.example/x/promo?code=1"));
        assertFalse(any.matches("https://a.example/x/promo"), "'?' is literal");
        assertTrue(UrlPattern.parse("*").matchesEverything());
        assertTrue(UrlPattern.parse("/**").matchesEverything());
    }

    @Test
    void invalidPatternsAreRefusedWithTheirReason() {
        assertEquals("is required", UrlPattern.problem("").orElseThrow());
        assertTrue(UrlPattern.problem("cart").orElseThrow().startsWith("must start with '/'"));
        assertTrue(UrlPattern.problem("/my cart").orElseThrow().contains("spaces"));
        assertTrue(UrlPattern.problem("/cart#top").orElseThrow().contains("'#'"));
        assertTrue(UrlPattern.problem("https://shop.example").orElseThrow().contains("path"));
        assertTrue(UrlPattern.problem("/" + "a".repeat(600)).orElseThrow().contains("at most 500"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UrlPattern.parse("ftp://x/"));
        assertTrue(e.getMessage().contains("must start with"));
    }

    @Test
    void normalisationDropsFragmentTrackingParametersAndDefaultPort() {
        assertEquals("https://shop.example/cart?step=2",
                PageUrls.normalize("HTTPS://Shop.Example:443/cart?utm_source=mail&step=2&gclid=x#top"));
        assertEquals("http://shop.example:8080/", PageUrls.normalize("http://shop.example:8080"));
        assertEquals("/a?b=1", PageUrls.pathAndQuery("https://x.example/a?b=1"));
        assertEquals("must be an absolute http or https URL", PageUrls.problem("javascript:alert(1)").orElseThrow());
        assertTrue(PageUrls.problem("https://shop.example/a b").orElseThrow().startsWith("is not a valid URL"));
        assertTrue(PageUrls.problem("/relative").isPresent());
    }

    /** The SQL form means what the Java form means: checked against a LIKE interpreter on random inputs. */
    @Test
    void sqlLikeAgreesWithJavaMatching() {
        Random random = new Random(42);
        String alphabet = "ab/_%\\.*?";
        for (int n = 0; n < 5000; n++) {
            String pattern = "/" + randomText(random, alphabet, 6);
            if (UrlPattern.problem(pattern).isPresent()) {
                continue;
            }
            UrlPattern p = UrlPattern.parse(pattern);
            String path = "/" + randomText(random, "ab/_%\\.?", 6);
            String url = "https://x.example" + path;
            assertEquals(p.matches(url), like(p.sqlLike(), path), () -> pattern + " on " + path);
        }
    }

    private static String randomText(Random random, String alphabet, int max) {
        StringBuilder b = new StringBuilder();
        int n = random.nextInt(max + 1);
        for (int i = 0; i < n; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    /** ILIKE with ESCAPE '\', as PostgreSQL defines it. */
    private static boolean like(String likePattern, String subject) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < likePattern.length(); i++) {
            char ch = likePattern.charAt(i);
            if (ch == '\\') {
                regex.append(Pattern.quote(String.valueOf(likePattern.charAt(++i))));
            } else if (ch == '%') {
                regex.append(".*");
            } else if (ch == '_') {
                regex.append('.');
            } else {
                regex.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.DOTALL).matcher(subject).matches();
    }
}
