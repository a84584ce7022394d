package org.relance.kit.url;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A URL pattern of a site's URL journey or of a visited-URL segment condition
 * (docs/url-patterns.md). One syntax, the same meaning in Java (the cart service classifies
 * page views) and in SQL (the segment service matches its URL dictionary):
 * <ul>
 * <li>{@code *} matches any run of characters, including none and including {@code /};
 *     every other character stands for itself;</li>
 * <li>a pattern starting with {@code /} is matched against the path and query of the URL
 *     ({@code /cart*}); one starting with {@code http://}, {@code https://} or {@code *}
 *     against the whole URL;</li>
 * <li>the whole target must match (anchored at both ends), ignoring case;</li>
 * <li>URLs are normalised first ({@link PageUrls#normalize}).</li>
 * </ul>
 */
public final class UrlPattern {
    /** Longest pattern accepted. */
    public static final int MAX_LENGTH = 500;

    /** What a pattern is matched against. */
    public enum Target {
        /** The whole normalised URL. */
        WHOLE_URL,
        /** The path and query of the normalised URL. */
        PATH_AND_QUERY
    }

    private final String text;
    private final Target target;
    private final Pattern regex;

    private UrlPattern(String text, Target target) {
        this.text = text;
        this.target = target;
        StringBuilder b = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '*') {
                if (literal.length() > 0) {
                    b.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                b.append(".*");
            } else {
                literal.append(ch);
            }
        }
        if (literal.length() > 0) {
            b.append(Pattern.quote(literal.toString()));
        }
        this.regex = Pattern.compile(b.toString(),
                Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.DOTALL);
    }

    /**
     * Why {@code text} is not a valid pattern, or empty when it is. The reason is a sentence for
     * a user ("must start with ...").
     */
    public static Optional<String> problem(String text) {
        if (text == null || text.isEmpty()) {
            return Optional.of("is required");
        }
        if (text.length() > MAX_LENGTH) {
            return Optional.of("must be at most " + MAX_LENGTH + " characters (got " + text.length() + ")");
        }
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (Character.isWhitespace(ch) || Character.isISOControl(ch)) {
                return Optional.of("must not contain spaces or control characters (position " + (i + 1) + ")");
            }
        }
        if (text.indexOf('#') >= 0) {
            return Optional.of("must not contain '#': fragments are removed from URLs before matching");
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (!(text.startsWith("/") || text.startsWith("*") || lower.startsWith("http://") || lower.startsWith("https://"))) {
            return Optional.of("must start with '/' (path and query), 'http://', 'https://' or '*' (whole URL)");
        }
        if ((lower.startsWith("http://") || lower.startsWith("https://")) && lower.indexOf('/', lower.indexOf("//") + 2) < 0
                && !lower.endsWith("*")) {
            return Optional.of("must have a path after the host (add '/' or '/*')");
        }
        return Optional.empty();
    }

    /** Parses a pattern, refusing an invalid one with {@link IllegalArgumentException} (its reason). */
    public static UrlPattern parse(String text) {
        Optional<String> problem = problem(text);
        if (problem.isPresent()) {
            throw new IllegalArgumentException(problem.get());
        }
        String collapsed = text.replaceAll("\\*{2,}", "*");
        return new UrlPattern(collapsed, collapsed.startsWith("/") ? Target.PATH_AND_QUERY : Target.WHOLE_URL);
    }

    /** The pattern's text (runs of '*' collapsed). */
    public String text() {
        return text;
    }

    /** What it is matched against. */
    public Target target() {
        return target;
    }

    /** True when the pattern matches every URL ("*", or "/*" for paths). */
    public boolean matchesEverything() {
        return text.equals("*") || text.equals("/*");
    }

    /** Whether it matches a URL already normalised by {@link PageUrls#normalize}. */
    public boolean matches(String normalizedUrl) {
        String subject = target == Target.WHOLE_URL ? normalizedUrl : PageUrls.pathAndQuery(normalizedUrl);
        return regex.matcher(subject).matches();
    }

    /**
     * The pattern for SQL {@code ILIKE ... ESCAPE '\'}: '*' becomes '%', and '%', '_' and '\'
     * are escaped. Apply it to the whole URL or to its path and query as {@link #target()} says.
     */
    public String sqlLike() {
        StringBuilder b = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case '*' -> b.append('%');
                case '%', '_', '\\' -> b.append('\\').append(ch);
                default -> b.append(ch);
            }
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return text;
    }
}
