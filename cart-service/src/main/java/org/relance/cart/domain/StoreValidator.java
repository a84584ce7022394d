package org.relance.cart.domain;

import java.net.URI;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Currency;
import java.util.regex.Pattern;
import org.relance.kit.error.Violations;
import org.relance.kit.url.UrlPattern;

/** Rules for stores and sites. */
public final class StoreValidator {
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Duration MIN_DELAY = Duration.ofSeconds(5);
    private static final Duration MAX_DELAY = Duration.ofDays(30);
    private static final Duration MIN_RETENTION = Duration.ofDays(1);
    private static final Duration MAX_RETENTION = Duration.ofDays(3650);

    private StoreValidator() {
    }

    public static void checkId(String field, String id, Violations v) {
        if (id == null || id.isEmpty()) {
            v.add(field, "is required");
        } else if (!ID.matcher(id).matches()) {
            v.add(field, "must be 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit");
        }
    }

    public static void checkCurrency(String field, String code, Violations v) {
        try {
            if (code == null || code.length() != 3 || !code.equals(code.toUpperCase(java.util.Locale.ROOT))) {
                throw new IllegalArgumentException();
            }
            Currency.getInstance(code);
        } catch (IllegalArgumentException e) {
            v.add(field, "must be an ISO 4217 currency code such as EUR");
        }
    }

    public static void checkTimeZone(String field, String zone, Violations v) {
        try {
            ZoneId.of(zone);
        } catch (DateTimeException | NullPointerException e) {
            v.add(field, "must be an IANA time zone such as Europe/Paris");
        }
    }

    public static void checkDelay(String field, Duration d, Violations v) {
        if (d.compareTo(MIN_DELAY) < 0 || d.compareTo(MAX_DELAY) > 0) {
            v.add(field, "must be between 5 seconds and 30 days");
        }
    }

    public static void checkRetention(String field, Duration d, Violations v) {
        if (d.compareTo(MIN_RETENTION) < 0 || d.compareTo(MAX_RETENTION) > 0) {
            v.add(field, "must be between 1 day and 3650 days");
        }
    }

    public static void checkPurchaseWindow(String field, Duration d, Violations v) {
        if (d.compareTo(Duration.ofMinutes(1)) < 0 || d.compareTo(Duration.ofDays(90)) > 0) {
            v.add(field, "must be between 1 minute and 90 days");
        }
    }

    /**
     * The URL journey's patterns: both or neither, each a valid pattern (docs/url-patterns.md)
     * that does not match every page, and not the same.
     */
    public static void checkUrlJourney(String cartField, String cartPattern, String thanksField, String thanksPattern,
                                       Violations v) {
        if (cartPattern.isEmpty() && thanksPattern.isEmpty()) {
            return;
        }
        if (cartPattern.isEmpty() || thanksPattern.isEmpty()) {
            v.add(cartPattern.isEmpty() ? cartField : thanksField,
                    "is required when " + (cartPattern.isEmpty() ? thanksField : cartField)
                            + " is set: a URL journey needs both the cart page and the thank-you page");
            return;
        }
        boolean valid = true;
        for (String[] p : new String[][] {{cartField, cartPattern}, {thanksField, thanksPattern}}) {
            java.util.Optional<String> problem = UrlPattern.problem(p[1]);
            if (problem.isPresent()) {
                v.add(p[0], problem.get());
                valid = false;
            } else if (UrlPattern.parse(p[1]).matchesEverything()) {
                v.add(p[0], "matches every page; name the page (for example /cart*)");
                valid = false;
            }
        }
        if (valid && UrlPattern.parse(cartPattern).text().equalsIgnoreCase(UrlPattern.parse(thanksPattern).text())) {
            v.add(thanksField, "must differ from the cart page pattern");
        }
    }

    public static void checkName(String field, String name, Violations v) {
        v.optionalText(field, name, 200);
    }

    /**
     * A restore URL is empty, a path on the edge ('/demo/cart.html'), or an absolute http(s) URL
     * without a fragment (the edge appends query parameters).
     */
    public static void checkRestoreUrl(String field, String url, Violations v) {
        if (url.isEmpty()) {
            return;
        }
        if (url.length() > 2000) {
            v.add(field, "at most 2000 characters");
            return;
        }
        try {
            URI uri = URI.create(url);
            boolean relative = uri.getScheme() == null && uri.getRawAuthority() == null && url.startsWith("/") && !url.startsWith("//");
            boolean absolute = ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
                    && uri.getRawUserInfo() == null;
            if (!(relative || absolute) || uri.getRawFragment() != null) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            v.add(field, "must be an http(s) URL or a path starting with '/', without a fragment");
        }
    }

    /** An origin is scheme://host[:port], http or https, with nothing after. */
    public static void checkOrigin(String field, String origin, Violations v) {
        try {
            URI uri = URI.create(origin);
            boolean ok = ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    && uri.getHost() != null && (uri.getRawPath() == null || uri.getRawPath().isEmpty())
                    && uri.getRawQuery() == null && uri.getRawFragment() == null && uri.getRawUserInfo() == null;
            if (!ok) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException | NullPointerException e) {
            v.add(field, "must be an origin such as https://shop.example (scheme, host, optional port)");
        }
    }
}
