package org.relance.edge.connectors;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.relance.edge.http.Http;

/** The admin token check of the connector routes ({@code Authorization: Bearer <relance.edge.admin-token>}). */
final class AdminToken {
    private final Optional<String> token;

    AdminToken(Optional<String> token) {
        this.token = token.filter(t -> !t.isBlank());
    }

    /** True when the request carries the token; otherwise answers 503 (no token set) or 401 and returns false. */
    boolean check(RoutingContext ctx) {
        if (token.isEmpty()) {
            Http.error(ctx, 503, "UNAVAILABLE", "API_DISABLED", "the admin API is off: set RELANCE_ADMIN_TOKEN", null);
            return false;
        }
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        byte[] expected = ("Bearer " + token.get()).getBytes(StandardCharsets.UTF_8);
        // Constant time: the comparison must not reveal how much of the token was right.
        if (header == null || !MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expected)) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
            Http.error(ctx, 401, "UNAUTHENTICATED", "ADMIN_TOKEN_REQUIRED", "send Authorization: Bearer <admin token>", null);
            return false;
        }
        return true;
    }
}
