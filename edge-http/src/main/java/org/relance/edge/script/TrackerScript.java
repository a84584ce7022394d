package org.relance.edge.script;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.edge.config.EdgeConfig;
import org.relance.edge.http.Http;
import org.relance.edge.sites.SiteDirectory;

/**
 * {@code GET /js/{siteKey}/tracker.js} and its drop-in name {@code DI.Journey-min.js}: the minified
 * tracker (built from src/main/tracker by the Maven build) behind one statement that gives it the
 * site key, the edge's address, the site's tracking mode and whether it records page views.
 * Validated by a strong ETag.
 */
@Singleton
public class TrackerScript {
    static final String RESOURCE = "tracker/tracker.min.js";

    private final SiteDirectory sites;
    private final EdgeConfig config;
    private final String script;

    public TrackerScript(SiteDirectory sites, EdgeConfig config) {
        this.sites = sites;
        this.config = config;
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing: the build minifies it from src/main/tracker");
            }
            this.script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void routes(@Observes Router router) {
        router.route(HttpMethod.GET, "/js/:siteKey/tracker.js").handler(this::serve);
        router.route(HttpMethod.GET, "/js/:siteKey/DI.Journey-min.js").handler(this::serve);
    }

    /** The edge's base URL as a browser reaches it. */
    public static String publicUrl(RoutingContext ctx, EdgeConfig config) {
        return config.publicUrl().map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u)
                .orElseGet(() -> ctx.request().scheme() + "://" + ctx.request().authority());
    }

    private void serve(RoutingContext ctx) {
        String key = ctx.pathParam("siteKey");
        sites.find(key).subscribe().with(found -> {
            if (found.isEmpty()) {
                ctx.response().setStatusCode(404).putHeader(HttpHeaders.CONTENT_TYPE, "application/javascript; charset=utf-8")
                        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                        .end("/* Relance: no site has this key */\n");
                return;
            }
            StringBuilder prefix = new StringBuilder(200).append("window.__relanceConfig={\"siteKey\":");
            Http.quote(prefix, key).append(",\"endpoint\":");
            Http.quote(prefix, publicUrl(ctx, config)).append(",\"trackingMode\":");
            Http.quote(prefix, found.get().site().getTrackingMode() == TrackingMode.TRACKING_MODE_TRANSACTIONS_ONLY
                    ? "TRANSACTIONS_ONLY" : "CARTS_AND_TRANSACTIONS")
                    .append(",\"pageViews\":").append(!found.get().site().getPageViewsDisabled()).append("};\n");
            byte[] body = (prefix + script).getBytes(StandardCharsets.UTF_8);
            String etag = "\"" + digest(body) + "\"";
            ctx.response().putHeader(HttpHeaders.ETAG, etag)
                    .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=300")
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/javascript; charset=utf-8");
            String match = ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH);
            if (match != null && (match.equals(etag) || match.contains(etag))) {
                ctx.response().setStatusCode(304).end();
                return;
            }
            ctx.response().setStatusCode(200).end(io.vertx.core.buffer.Buffer.buffer(body));
        }, failure -> {
            ctx.response().putHeader("Retry-After", "5");
            Http.error(ctx, 503, "UNAVAILABLE", "SERVICE_UNAVAILABLE", "the site cannot be read now", null);
        });
    }

    private static String digest(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
