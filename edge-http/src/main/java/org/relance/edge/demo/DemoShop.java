package org.relance.edge.demo;

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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.relance.edge.config.EdgeConfig;
import org.relance.edge.script.TrackerScript;

/**
 * The demo shop at {@code /demo/}: static pages that use only the tracker, with the demo site's
 * key and the edge's address filled in. Served only when enabled (the local run enables it).
 */
@Singleton
public class DemoShop {
    private static final Pattern NAME = Pattern.compile("[a-z]+\\.(html|js|css)");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "application/javascript; charset=utf-8", "css", "text/css; charset=utf-8");

    private final boolean enabled;
    private final String siteKey;
    private final EdgeConfig config;
    private final Map<String, String> pages = new ConcurrentHashMap<>();

    public DemoShop(EdgeConfig config) {
        this.enabled = config.demo().enabled();
        this.siteKey = config.demo().siteKey();
        this.config = config;
    }

    void routes(@Observes Router router) {
        if (!enabled) {
            return;
        }
        // Vert.x matches "/demo" for "/demo/" too: the path itself tells the two apart.
        router.route(HttpMethod.GET, "/demo").handler(ctx -> {
            if (ctx.request().path().endsWith("/")) {
                serve(ctx, "index.html");
            } else {
                ctx.redirect("/demo/");
            }
        });
        router.route(HttpMethod.GET, "/demo/:name").handler(ctx -> serve(ctx, ctx.pathParam("name")));
    }

    private void serve(RoutingContext ctx, String name) {
        String page = NAME.matcher(name).matches() ? pages.computeIfAbsent(name, DemoShop::load) : "";
        if (page.isEmpty()) {
            ctx.response().setStatusCode(404).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8").end("not found\n");
            return;
        }
        String body = page.replace("{{SITE_KEY}}", siteKey).replace("{{EDGE}}", TrackerScript.publicUrl(ctx, config));
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, TYPES.get(name.substring(name.lastIndexOf('.') + 1)))
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .end(body);
    }

    private static String load(String name) {
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream("demo/" + name)) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
