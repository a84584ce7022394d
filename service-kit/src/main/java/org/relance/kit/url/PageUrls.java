package org.relance.kit.url;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Page addresses as Relance stores and matches them: absolute http(s) URLs, scheme and host in
 * lower case, default port, fragment and tracking parameters removed, an empty path written "/".
 */
public final class PageUrls {
    /** Longest URL accepted. */
    public static final int MAX_LENGTH = 2000;

    /** Query parameters that only say where a visit came from; they are removed. */
    private static final Set<String> TRACKING_PARAMETERS = Set.of("gclid", "fbclid", "msclkid", "dclid", "yclid",
            "mc_cid", "mc_eid", "_ga", "_gl", "rl_ct", "rl_cart");

    private PageUrls() {
    }

    /** Why {@code url} cannot be a page address, or empty when it can. */
    public static Optional<String> problem(String url) {
        try {
            normalize(url);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** The normalised form of a page address; {@link IllegalArgumentException} with the reason when it is not one. */
    public static String normalize(String url) {
        if (url == null || url.isEmpty()) {
            throw new IllegalArgumentException("is required");
        }
        if (url.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("must be at most " + MAX_LENGTH + " characters (got " + url.length() + ")");
        }
        for (int i = 0; i < url.length(); i++) {
            char ch = url.charAt(i);
            if (Character.isISOControl(ch)) {
                throw new IllegalArgumentException("must not contain control characters (position " + (i + 1) + ")");
            }
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("is not a valid URL: " + e.getReason() + " at position " + (e.getIndex() + 1));
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("must be an absolute http or https URL");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("must name a host");
        }
        StringBuilder b = new StringBuilder(url.length());
        b.append(scheme).append("://").append(host.toLowerCase(Locale.ROOT));
        int port = uri.getPort();
        if (port != -1 && !(port == 80 && scheme.equals("http")) && !(port == 443 && scheme.equals("https"))) {
            b.append(':').append(port);
        }
        String path = uri.getRawPath();
        b.append(path == null || path.isEmpty() ? "/" : path);
        String query = uri.getRawQuery();
        if (query != null) {
            StringBuilder kept = new StringBuilder();
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = (eq < 0 ? pair : pair.substring(0, eq)).toLowerCase(Locale.ROOT);
                if (name.startsWith("utm_") || TRACKING_PARAMETERS.contains(name)) {
                    continue;
                }
                kept.append(kept.length() == 0 ? "" : "&").append(pair);
            }
            if (kept.length() > 0) {
                b.append('?').append(kept);
            }
        }
        return b.toString();
    }

    /** The path and query of a normalised URL ("/cart?step=2"). */
    public static String pathAndQuery(String normalizedUrl) {
        int schemeEnd = normalizedUrl.indexOf("://");
        int slash = normalizedUrl.indexOf('/', schemeEnd < 0 ? 0 : schemeEnd + 3);
        return slash < 0 ? "/" : normalizedUrl.substring(slash);
    }
}
