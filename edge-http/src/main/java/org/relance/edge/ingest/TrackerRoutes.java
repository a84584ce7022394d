package org.relance.edge.ingest;

import io.grpc.StatusRuntimeException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.relance.edge.config.EdgeConfig;
import org.relance.edge.http.Http;
import org.relance.edge.limits.RateLimiter;
import org.relance.edge.rejections.Reasons;
import org.relance.edge.rejections.Rejection;
import org.relance.edge.rejections.RejectionLog;
import org.relance.edge.sites.SiteDirectory;
import org.relance.edge.sites.SiteDirectory.KnownSite;

/**
 * {@code POST /t/{siteKey}}: tracker batches, as JSON (fetch) or text/plain (beacon), and their CORS
 * preflight. Checks run cheapest first — the caller's rate, the body's size, the key, the origin,
 * the site's rate, the batch — and every refusal is stored before it is answered (floods are
 * folded). See docs/tracker-protocol.md for the answers.
 */
@Singleton
public class TrackerRoutes {
    private static final Logger LOG = Logger.getLogger(TrackerRoutes.class);
    private static final String RETRY_AFTER_UNAVAILABLE = "5";

    private final SiteDirectory sites;
    private final RateLimiter limiter;
    private final RejectionLog rejections;
    private final Ingestor ingestor;
    private final BatchParser parser;
    private final int maxBatchBytes;
    private final Clock clock;
    private final boolean benchEndpoint;

    public TrackerRoutes(SiteDirectory sites, RateLimiter limiter, RejectionLog rejections, Ingestor ingestor,
                         EdgeConfig config, Clock clock) {
        this.sites = sites;
        this.limiter = limiter;
        this.rejections = rejections;
        this.ingestor = ingestor;
        this.maxBatchBytes = config.maxBatchBytes();
        this.parser = new BatchParser(new BatchParser.Limits(config.maxBatchBytes(), config.maxSubmitBytes(), config.maxSubmits()), clock);
        this.clock = clock;
        this.benchEndpoint = config.benchEndpoint();
    }

    void routes(@Observes Router router) {
        router.route(HttpMethod.OPTIONS, "/t/:siteKey").handler(this::preflight);
        router.route(HttpMethod.POST, "/t/:siteKey").handler(this::batch);
        if (benchEndpoint) {
            router.route(HttpMethod.POST, "/bench/noop").handler(this::noop);
        }
    }

    /** The benchmark's baseline: the same body reading, then 204 without any check or call. */
    private void noop(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        long[] received = {0};
        request.handler(chunk -> received[0] += chunk.length());
        request.endHandler(ignored -> ctx.response().setStatusCode(received[0] > 0 ? 204 : 400).end());
        request.resume();
    }

    private void preflight(RoutingContext ctx) {
        String key = ctx.pathParam("siteKey");
        String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
        sites.find(key).subscribe().with(found -> {
            if (found.isEmpty() || origin == null || !found.get().allowsOrigin(origin)) {
                rejections.recordRepeatable(rejection(ctx, key, found, null, "batch",
                        found.isEmpty() ? Reasons.UNKNOWN_SITE_KEY : Reasons.ORIGIN_NOT_ALLOWED,
                        null, "preflight refused for origin " + origin, 403, null, 0));
                ctx.response().setStatusCode(403).end();
                return;
            }
            ctx.response().setStatusCode(204)
                    .putHeader("Access-Control-Allow-Origin", origin)
                    .putHeader("Access-Control-Allow-Methods", "POST")
                    .putHeader("Access-Control-Allow-Headers", "Content-Type")
                    .putHeader("Access-Control-Max-Age", "600")
                    .putHeader("Vary", "Origin")
                    .end();
        }, failure -> unavailable(ctx, failure));
    }

    private void batch(RoutingContext ctx) {
        String key = ctx.pathParam("siteKey");
        String address = Http.clientAddress(ctx);
        RateLimiter.Decision byAddress = limiter.address(address);
        if (!byAddress.allowed()) {
            rejections.recordRepeatable(rejection(ctx, key, Optional.empty(), null, "batch", Reasons.RATE_LIMITED, null,
                    "too many requests from this address", 429, null, 0));
            tooMany(ctx, byAddress.waitSeconds(), "too many requests from this address");
            return;
        }
        HttpServerRequest request = ctx.request();
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && length.length() < 12 && parseLong(length) > maxBatchBytes) {
            // Refused before reading: the client may still be sending, so the connection closes.
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
            afterSite(ctx, key, null, parseLong(length));
            return;
        }
        Buffer body = Buffer.buffer();
        long[] received = {0};
        request.handler(chunk -> {
            received[0] += chunk.length();
            if (received[0] <= maxBatchBytes) {
                body.appendBuffer(chunk);
            }
        });
        request.exceptionHandler(failure -> LOG.debugf("batch upload failed: %s", failure.toString()));
        request.endHandler(ignored -> afterSite(ctx, key, received[0] > maxBatchBytes ? null : body, received[0]));
        request.resume();
    }

    /** With the body read (or refused for its size: null), finds the site and goes on. */
    private void afterSite(RoutingContext ctx, String key, Buffer body, long size) {
        String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
        sites.find(key).subscribe().with(found -> {
            if (found.isEmpty()) {
                rejections.recordRepeatable(rejection(ctx, key, found, null, "batch", Reasons.UNKNOWN_SITE_KEY, null,
                        "no site has this key", 404, null, (int) size));
                Http.error(ctx, 404, "NOT_FOUND", Reasons.UNKNOWN_SITE_KEY, "no site has this key", null);
                return;
            }
            KnownSite site = found.get();
            if (origin != null && !site.allowsOrigin(origin)) {
                store(ctx, List.of(rejection(ctx, key, found, null, "batch", Reasons.ORIGIN_NOT_ALLOWED, null,
                        "the origin " + origin + " is not allowed for this site", 403, text(body), (int) size)), () ->
                        Http.error(ctx, 403, "PERMISSION_DENIED", Reasons.ORIGIN_NOT_ALLOWED, "this origin is not allowed for the site", null));
                return;
            }
            if (origin != null) {
                ctx.response().putHeader("Access-Control-Allow-Origin", origin)
                        .putHeader("Access-Control-Expose-Headers", "Retry-After")
                        .putHeader("Vary", "Origin");
            }
            RateLimiter.Decision bySite = limiter.site(key);
            if (!bySite.allowed()) {
                rejections.recordRepeatable(rejection(ctx, key, found, null, "batch", Reasons.RATE_LIMITED, null,
                        "too many requests for this site", 429, null, (int) size));
                tooMany(ctx, bySite.waitSeconds(), "too many requests for this site");
                return;
            }
            if (body == null) {
                String message = "the batch has " + size + " bytes; at most " + maxBatchBytes + " are accepted";
                store(ctx, List.of(rejection(ctx, key, found, null, "batch", Reasons.BATCH_TOO_LARGE, null, message, 413,
                        null, (int) Math.min(size, Integer.MAX_VALUE))), () ->
                        Http.error(ctx, 413, "INVALID_ARGUMENT", Reasons.BATCH_TOO_LARGE, message, null));
                return;
            }
            Batch batch;
            try {
                batch = parser.parse(body.getBytes(), site.store().getCurrencyCode());
            } catch (BatchException e) {
                store(ctx, List.of(rejection(ctx, key, found, null, "batch", e.reason(), e.field(), e.getMessage(), e.status(),
                        text(body), body.length())), () ->
                        Http.error(ctx, e.status(), Http.statusName(e.status()), e.reason(), e.getMessage(), e.field()));
                return;
            }
            ingestor.apply(site, batch).subscribe().with(
                    outcomes -> answer(ctx, key, site, outcomes),
                    failure -> unavailable(ctx, failure));
        }, failure -> unavailable(ctx, failure));
    }

    private void answer(RoutingContext ctx, String key, KnownSite site, List<Ingestor.Outcome> outcomes) {
        List<Rejection> refused = new ArrayList<>();
        StringBuilder json = new StringBuilder("{\"rejected\":[");
        for (Ingestor.Outcome o : outcomes) {
            if (o.applied()) {
                continue;
            }
            Submit s = o.submit();
            String kind = s instanceof Submit.Invalid invalid ? invalid.kind()
                    : s instanceof Submit.Cart ? "cart" : s instanceof Submit.Purchase ? "transaction"
                    : s instanceof Submit.PageView ? "pageview" : "identify";
            refused.add(rejection(ctx, key, Optional.of(site), s.id(), kind, o.reason(), o.field(), o.message(), 202, s.json(),
                    s.json() == null ? 0 : s.json().length()));
            if (refused.size() > 1) {
                json.append(',');
            }
            json.append("{\"id\":");
            Http.quote(json, s.id()).append(",\"reason\":");
            Http.quote(json, o.reason()).append(",\"field\":");
            Http.quote(json, o.field()).append(",\"message\":");
            Http.quote(json, o.message()).append('}');
        }
        if (refused.isEmpty()) {
            ctx.response().setStatusCode(204).end();
            return;
        }
        json.append("]}");
        store(ctx, refused, () -> ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json").end(json.toString()));
    }

    /** Stores refusals, then answers; when they cannot be stored the caller is told to come back. */
    private void store(RoutingContext ctx, List<Rejection> refused, Runnable then) {
        rejections.record(refused).subscribe().with(ignored -> then.run(), failure -> unavailable(ctx, failure));
    }

    private void unavailable(RoutingContext ctx, Throwable failure) {
        if (failure instanceof StatusRuntimeException e) {
            LOG.warnf("a service is unavailable: %s", e.getStatus());
        } else {
            LOG.warnf("batch not applied: %s", failure.toString());
        }
        ctx.response().putHeader("Retry-After", RETRY_AFTER_UNAVAILABLE);
        Http.error(ctx, 503, "UNAVAILABLE", "SERVICE_UNAVAILABLE", "a service is unavailable; nothing was lost, send again later", null);
    }

    private static void tooMany(RoutingContext ctx, long seconds, String message) {
        ctx.response().putHeader("Retry-After", Long.toString(seconds));
        Http.error(ctx, 429, "RESOURCE_EXHAUSTED", Reasons.RATE_LIMITED, message, null);
    }

    private Rejection rejection(RoutingContext ctx, String key, Optional<KnownSite> site, String submitId, String kind, String reason,
                                String field, String message, int status, String payload, int bytes) {
        return new Rejection(key, site.map(s -> s.site().getSiteId()).orElse(""), site.map(s -> s.store().getStoreId()).orElse(""),
                submitId, kind, reason, field, message == null ? reason : message, status,
                ctx.request().getHeader(HttpHeaders.ORIGIN), Http.clientAddress(ctx), payload, bytes, clock.instant());
    }

    private static String text(Buffer body) {
        if (body == null) {
            return null;
        }
        int n = Math.min(body.length(), Rejection.PAYLOAD_KEPT);
        return new String(body.getBytes(0, n), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
