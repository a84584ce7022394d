package org.relance.edge.console;

import io.vertx.core.buffer.Buffer;
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
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * The console at {@code /console/}: the files its build put in the classpath folder
 * {@code console/} (listed in {@code console/files.txt}), read once at start so that no request
 * reads the class path on an event-loop thread. Bundles have content hashes in their names and
 * are cached for a year; {@code index.html} is revalidated on every load so that a new build is
 * picked up at once. Always on: everything it shows comes from the read API, behind the admin token.
 */
@Singleton
public class ConsolePages {
    private static final Logger LOG = Logger.getLogger(ConsolePages.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*\\.(html|js|css|svg|png|ico|woff2)");
    private static final Pattern HASHED = Pattern.compile(".*-[A-Z0-9]{8}\\.(js|css)");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "woff2", "font/woff2");
    // The page only talks to its own origin; uPlot sets element styles from script, which the
    // style-src below allows without 'unsafe-inline' scripts.
    private static final String POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

    private final Map<String, Buffer> files;

    public ConsolePages() {
        this.files = load();
    }

    /** The files served, by name (for tests and logs). */
    public java.util.Set<String> fileNames() {
        return files.keySet();
    }

    void routes(@Observes Router router) {
        // Vert.x matches "/console" for "/console/" too: the path itself tells the two apart.
        router.route(HttpMethod.GET, "/console").handler(ctx -> {
            if (ctx.request().path().endsWith("/")) {
                serve(ctx, "index.html");
            } else {
                ctx.response().setStatusCode(301).putHeader(HttpHeaders.LOCATION, "/console/").end();
            }
        });
        router.route(HttpMethod.GET, "/console/:name").handler(ctx -> serve(ctx, ctx.pathParam("name")));
    }

    private void serve(RoutingContext ctx, String name) {
        Buffer body = NAME.matcher(name).matches() ? files.get(name) : null;
        if (body == null) {
            ctx.response().setStatusCode(404).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8").end("not found\n");
            return;
        }
        String extension = name.substring(name.lastIndexOf('.') + 1);
        ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, TYPES.get(extension))
                .putHeader(HttpHeaders.CACHE_CONTROL, HASHED.matcher(name).matches() ? "public, max-age=31536000, immutable" : "no-cache")
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer");
        if (extension.equals("html")) {
            ctx.response().putHeader("Content-Security-Policy", POLICY).putHeader("X-Frame-Options", "DENY");
        }
        ctx.response().end(body);
    }

    private static Map<String, Buffer> load() {
        Map<String, Buffer> loaded = new HashMap<>();
        String list = read("console/files.txt");
        if (list == null) {
            // A build that skipped the console (no npm) still runs the rest of the edge.
            LOG.warn("console/files.txt is missing from the class path: /console/ answers 404");
            return Map.of();
        }
        for (String name : list.split("\n")) {
            name = name.strip();
            if (name.isEmpty() || !NAME.matcher(name).matches()) {
                continue;
            }
            try (InputStream in = classLoader().getResourceAsStream("console/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("console/" + name + " is listed but missing");
                }
                loaded.put(name, Buffer.buffer(in.readAllBytes()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Map.copyOf(loaded);
    }

    private static String read(String resource) {
        try (InputStream in = classLoader().getResourceAsStream(resource)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ClassLoader classLoader() {
        return Thread.currentThread().getContextClassLoader();
    }
}
