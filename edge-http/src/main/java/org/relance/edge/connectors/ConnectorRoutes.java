package org.relance.edge.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.relance.api.cart.v1.GetSiteRequest;
import org.relance.api.cart.v1.GetSiteResponse;
import org.relance.api.cart.v1.MutinyStoreServiceGrpc;
import org.relance.edge.config.EdgeConfig;
import org.relance.edge.http.Http;
import org.relance.edge.http.ServiceCalls;
import org.relance.edge.rejections.Rejection;
import org.relance.edge.rejections.RejectionLog;

/**
 * Shop platform webhooks and their set-up (docs/connectors.md).
 *
 * <p>{@code POST /hooks/{shopify|woocommerce}/{siteKey}}: the platform's webhook. The signature is
 * checked against the connector's secret (wrong or missing: 401, only a rejection row is stored),
 * the raw body goes into the inbox in the same request — a repeated delivery finds its row and
 * changes nothing — and 200 is answered once that row is committed. The {@link InboxWorker} applies
 * it afterwards, so a slow or absent service never makes the platform wait or give up.
 *
 * <p>Admin routes (Bearer admin token): {@code PUT|GET|DELETE /api/v1/sites/{siteId}/connectors/{platform}},
 * {@code GET /api/v1/sites/{siteId}/connectors}, {@code GET .../connectors/{platform}/deliveries},
 * {@code POST .../deliveries/{id}/retry}, {@code GET .../connectors/{platform}/carts/{cartId}}.
 */
@Singleton
public class ConnectorRoutes {
    private static final Logger LOG = Logger.getLogger(ConnectorRoutes.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** WooCommerce's test call when a webhook is saved: unsigned, and it must be answered 200. */
    private static final Pattern WOOCOMMERCE_PING = Pattern.compile("webhook_id=\\d{1,20}");
    private static final int MAX_SECRET = 1000;
    private static final int MAX_ADMIN_BODY = 16_384;

    private final ConnectorStore store;
    private final InboxWorker worker;
    private final RejectionLog rejections;
    private final MutinyStoreServiceGrpc.MutinyStoreServiceStub stores;
    private final ServiceCalls calls;
    private final AdminToken admin;
    private final Optional<String> publicUrl;
    private final Clock clock;
    private final int maxBodyBytes;

    public ConnectorRoutes(ConnectorStore store, InboxWorker worker, RejectionLog rejections,
                           @GrpcClient("cart") MutinyStoreServiceGrpc.MutinyStoreServiceStub stores, ServiceCalls calls,
                           EdgeConfig config, Clock clock,
                           @ConfigProperty(name = "relance.connectors.max-body-bytes", defaultValue = "1048576") int maxBodyBytes) {
        this.store = store;
        this.worker = worker;
        this.rejections = rejections;
        this.stores = stores;
        this.calls = calls;
        this.admin = new AdminToken(config.adminToken());
        this.publicUrl = config.publicUrl().filter(u -> !u.isBlank());
        this.clock = clock;
        this.maxBodyBytes = maxBodyBytes;
    }

    void routes(@Observes Router router) {
        router.route(HttpMethod.POST, "/hooks/:platform/:siteKey").handler(this::webhook);
        String one = "/api/v1/sites/:siteId/connectors/:platform";
        router.route(HttpMethod.GET, "/api/v1/sites/:siteId/connectors").handler(admin(this::list));
        router.route(HttpMethod.PUT, one).handler(admin(this::put));
        router.route(HttpMethod.GET, one).handler(admin(this::get));
        router.route(HttpMethod.DELETE, one).handler(admin(this::delete));
        router.route(HttpMethod.GET, one + "/deliveries").handler(admin(this::deliveries));
        router.route(HttpMethod.POST, one + "/deliveries/:inboxId/retry").handler(admin(this::retry));
        router.route(HttpMethod.GET, one + "/carts/:cartId").handler(admin(this::cart));
    }

    private io.vertx.core.Handler<RoutingContext> admin(Consumer<RoutingContext> route) {
        return ctx -> {
            if (admin.check(ctx)) {
                route.accept(ctx);
            }
        };
    }

    // ---- webhooks -------------------------------------------------------------------------------

    private void webhook(RoutingContext ctx) {
        Optional<Platform> platform = Platform.fromPath(ctx.pathParam("platform"));
        if (platform.isEmpty()) {
            Http.error(ctx, 404, "NOT_FOUND", "UNKNOWN_PLATFORM", "webhooks are taken for shopify and woocommerce", null);
            return;
        }
        HttpServerRequest request = ctx.request();
        Buffer body = Buffer.buffer();
        long[] received = {0};
        request.handler(chunk -> {
            received[0] += chunk.length();
            if (received[0] <= maxBodyBytes) {
                body.appendBuffer(chunk);
            }
        });
        request.exceptionHandler(failure -> LOG.debugf("webhook upload failed: %s", failure.toString()));
        request.endHandler(ignored -> received(ctx, platform.get(), ctx.pathParam("siteKey"), received[0] > maxBodyBytes ? null : body.getBytes(),
                received[0]));
        request.resume();
    }

    private void received(RoutingContext ctx, Platform platform, String siteKey, byte[] body, long size) {
        store.byKey(siteKey, platform).subscribe().with(found -> {
            if (found.isEmpty() || !found.get().enabled()) {
                String reason = found.isEmpty() ? "CONNECTOR_NOT_FOUND" : "CONNECTOR_DISABLED";
                String message = found.isEmpty() ? "no " + platform.path() + " connector for this site key" : "the connector is disabled";
                // Folded: a flood of calls to a made-up key must not become a flood of rows.
                rejections.recordRepeatable(rejection(ctx, platform, siteKey, found, reason, message, 404, size));
                Http.error(ctx, 404, "NOT_FOUND", reason, message, null);
                return;
            }
            Connector connector = found.get();
            String signature = ctx.request().getHeader(platform.signatureHeader());
            if (platform == Platform.WOOCOMMERCE && signature == null && body != null
                    && WOOCOMMERCE_PING.matcher(new String(body, StandardCharsets.US_ASCII).strip()).matches()) {
                ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json").end("{\"ping\":true}");
                return;
            }
            if (body == null) {
                String message = "the webhook has " + size + " bytes; at most " + maxBodyBytes + " are accepted";
                refuse(ctx, rejection(ctx, platform, siteKey, found, "WEBHOOK_TOO_LARGE", message, 413, size), 413, message);
                return;
            }
            if (!Signatures.verify(connector.secret(), body, signature)) {
                String message = (signature == null ? "no " : "a wrong ") + platform.signatureHeader()
                        + " header: check the secret configured for this connector";
                refuse(ctx, rejection(ctx, platform, siteKey, found, "INVALID_SIGNATURE", message, 401, size), 401, message);
                return;
            }
            accept(ctx, connector, body);
        }, failure -> unavailable(ctx, failure));
    }

    private void accept(RoutingContext ctx, Connector connector, byte[] body) {
        Platform platform = connector.platform();
        String topic = Optional.ofNullable(ctx.request().getHeader(platform.topicHeader())).map(String::strip).orElse("");
        String deliveryId = ctx.request().getHeader(platform.deliveryHeader());
        String bodyHash = Signatures.sha256Hex(body);
        String dedupKey;
        if (deliveryId == null || deliveryId.isBlank()) {
            // Without an id, only the same bytes are the same delivery.
            deliveryId = "sha256:" + bodyHash;
            dedupKey = deliveryId;
        } else if (platform == Platform.WOOCOMMERCE) {
            // WooCommerce's delivery id hashes the webhook id and the current second: two different
            // events in the same second share it. Only the same id with the same body is a repeat.
            dedupKey = deliveryId.strip() + ":" + bodyHash;
        } else {
            // Shopify sends the same X-Shopify-Webhook-Id with every retry of one event.
            dedupKey = deliveryId.strip();
        }
        deliveryId = deliveryId.strip();
        if (deliveryId.length() > 200) {
            deliveryId = deliveryId.substring(0, 200);
        }
        if (dedupKey.length() > 300) {
            dedupKey = "sha256:" + Signatures.sha256Hex(dedupKey.getBytes(StandardCharsets.UTF_8));
        }
        boolean mapped = mapsToSomething(platform, topic);
        Instant now = clock.instant();
        // A topic that maps to nothing is kept as a row (so operators see it arrive) without its body.
        store.accept(connector, deliveryId, dedupKey, topic, mapped ? body : new byte[0],
                        mapped ? Delivery.PENDING : Delivery.IGNORED, mapped ? null : "TOPIC_NOT_MAPPED", now)
                .subscribe().with(inserted -> {
                    if (inserted && mapped) {
                        worker.wake();
                    }
                    ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
                            .end("{\"accepted\":true,\"duplicate\":" + !inserted + "}");
                }, failure -> unavailable(ctx, failure));
    }

    static boolean mapsToSomething(Platform platform, String topic) {
        String t = topic.toLowerCase(java.util.Locale.ROOT);
        return platform == Platform.SHOPIFY
                ? List.of("checkouts/create", "checkouts/update", "orders/create", "orders/paid", "customers/create", "customers/update").contains(t)
                : List.of("order.created", "order.updated", "customer.created", "customer.updated").contains(t);
    }

    private void refuse(RoutingContext ctx, Rejection rejection, int status, String message) {
        rejections.record(List.of(rejection)).subscribe().with(
                ignored -> {
                    if (status == 401) {
                        ctx.response().putHeader("WWW-Authenticate", "HMAC-SHA256");
                    }
                    Http.error(ctx, status, Http.statusName(status), rejection.reason(), message, null);
                },
                failure -> unavailable(ctx, failure));
    }

    /** Nothing is stored of an unverified body but its size: it may be anyone's data, or nobody's. */
    private Rejection rejection(RoutingContext ctx, Platform platform, String siteKey, Optional<Connector> connector, String reason,
                                String message, int status, long size) {
        String topic = ctx.request().getHeader(platform.topicHeader());
        return new Rejection(siteKey, connector.map(Connector::siteId).orElse(""), connector.map(Connector::storeId).orElse(""),
                ctx.request().getHeader(platform.deliveryHeader()), platform.rejectionKind(), reason, null,
                topic == null ? message : topic + ": " + message, status, null, Http.clientAddress(ctx), null,
                (int) Math.min(size, Integer.MAX_VALUE), clock.instant());
    }

    private static void unavailable(RoutingContext ctx, Throwable failure) {
        LOG.warnf("webhook not stored: %s", failure.toString());
        // The platform retries on any answer but 2xx: nothing is lost.
        ctx.response().putHeader("Retry-After", "5");
        Http.error(ctx, 503, "UNAVAILABLE", "STORAGE_UNAVAILABLE", "the webhook could not be stored; send it again later", null);
    }

    // ---- admin ----------------------------------------------------------------------------------

    private Optional<Platform> platform(RoutingContext ctx) {
        Optional<Platform> p = Platform.fromPath(ctx.pathParam("platform"));
        if (p.isEmpty()) {
            Http.error(ctx, 404, "NOT_FOUND", "UNKNOWN_PLATFORM", "platform must be shopify or woocommerce", "platform");
        }
        return p;
    }

    /** {@code PUT}: {"secret": "...", "enabled": true}; the secret may be left out to keep the stored one. */
    private void put(RoutingContext ctx) {
        Optional<Platform> platform = platform(ctx);
        if (platform.isEmpty()) {
            return;
        }
        String siteId = ctx.pathParam("siteId");
        Buffer body = Buffer.buffer();
        ctx.request().handler(chunk -> {
            if (body.length() <= MAX_ADMIN_BODY) {
                body.appendBuffer(chunk);
            }
        });
        ctx.request().endHandler(ignored -> {
            JsonNode json;
            try {
                json = body.length() == 0 ? JSON.createObjectNode() : JSON.readTree(body.getBytes());
            } catch (java.io.IOException e) {
                json = null;
            }
            if (json == null || !json.isObject() || body.length() > MAX_ADMIN_BODY) {
                Http.error(ctx, 400, "INVALID_ARGUMENT", "INVALID_FIELD", "send a JSON object {\"secret\": \"...\", \"enabled\": true}", null);
                return;
            }
            JsonNode secretNode = json.get("secret");
            JsonNode enabledNode = json.get("enabled");
            if (secretNode != null && (!secretNode.isTextual() || secretNode.asText().isBlank() || secretNode.asText().length() > MAX_SECRET)) {
                Http.error(ctx, 400, "INVALID_ARGUMENT", "INVALID_FIELD", "secret must be a text of 1 to " + MAX_SECRET + " characters", "secret");
                return;
            }
            if (enabledNode != null && !enabledNode.isBoolean()) {
                Http.error(ctx, 400, "INVALID_ARGUMENT", "INVALID_FIELD", "enabled must be true or false", "enabled");
                return;
            }
            String secret = secretNode == null ? null : secretNode.asText();
            Uni<GetSiteResponse> site = calls.call(() -> stores.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS)
                    .getSite(GetSiteRequest.newBuilder().setSiteId(siteId).build()));
            site.chain(s -> store.get(siteId, platform.get()).chain(existing -> {
                if (secret == null && existing.isEmpty()) {
                    return Uni.createFrom().failure(new IllegalArgumentException("secret"));
                }
                Instant now = clock.instant();
                boolean enabled = enabledNode != null ? enabledNode.asBoolean() : existing.map(Connector::enabled).orElse(true);
                return store.save(new Connector(siteId, platform.get(), s.getStore().getStoreId(), s.getSite().getSiteKey(),
                        secret != null ? secret : existing.get().secret(), enabled, now, now));
            })).subscribe().with(saved -> ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json")
                    .end(connectorJson(ctx, saved)), failure -> adminFailure(ctx, failure));
        });
        ctx.request().resume();
    }

    private void get(RoutingContext ctx) {
        Optional<Platform> platform = platform(ctx);
        if (platform.isEmpty()) {
            return;
        }
        store.get(ctx.pathParam("siteId"), platform.get()).subscribe().with(found -> {
            if (found.isEmpty()) {
                Http.error(ctx, 404, "NOT_FOUND", "CONNECTOR_NOT_FOUND", "the site has no " + platform.get().path() + " connector", null);
                return;
            }
            ctx.response().putHeader("Content-Type", "application/json").end(connectorJson(ctx, found.get()));
        }, failure -> adminFailure(ctx, failure));
    }

    private void list(RoutingContext ctx) {
        store.list(ctx.pathParam("siteId")).subscribe().with(found -> {
            StringBuilder json = new StringBuilder("{\"connectors\":[");
            for (int i = 0; i < found.size(); i++) {
                json.append(i == 0 ? "" : ",").append(connectorJson(ctx, found.get(i)));
            }
            ctx.response().putHeader("Content-Type", "application/json").end(json.append("]}").toString());
        }, failure -> adminFailure(ctx, failure));
    }

    private void delete(RoutingContext ctx) {
        Optional<Platform> platform = platform(ctx);
        if (platform.isEmpty()) {
            return;
        }
        store.delete(ctx.pathParam("siteId"), platform.get()).subscribe().with(deleted -> {
            if (!deleted) {
                Http.error(ctx, 404, "NOT_FOUND", "CONNECTOR_NOT_FOUND", "the site has no " + platform.get().path() + " connector", null);
                return;
            }
            ctx.response().setStatusCode(204).end();
        }, failure -> adminFailure(ctx, failure));
    }

    /** {@code GET .../deliveries?state=&before=&limit=}: the inbox, newest first, without payloads. */
    private void deliveries(RoutingContext ctx) {
        Optional<Platform> platform = platform(ctx);
        if (platform.isEmpty()) {
            return;
        }
        String state = Optional.ofNullable(ctx.request().getParam("state")).orElse("");
        long before = number(ctx.request().getParam("before"), Long.MAX_VALUE);
        int limit = (int) Math.max(1, Math.min(500, number(ctx.request().getParam("limit"), 50)));
        store.deliveries(ctx.pathParam("siteId"), platform.get(), state, before, limit).subscribe().with(list -> {
            StringBuilder json = new StringBuilder("{\"deliveries\":[");
            for (int i = 0; i < list.size(); i++) {
                Delivery d = list.get(i);
                json.append(i == 0 ? "{" : ",{").append("\"id\":").append(d.inboxId()).append(",\"deliveryId\":");
                Http.quote(json, d.deliveryId()).append(",\"topic\":");
                Http.quote(json, d.topic()).append(",\"state\":");
                Http.quote(json, d.state()).append(",\"attempts\":").append(d.attempts()).append(",\"outcome\":");
                Http.quote(json, d.outcome()).append(",\"detail\":");
                Http.quote(json, d.detail()).append(",\"receiveTime\":");
                Http.quote(json, String.valueOf(d.receiveTime())).append(",\"nextAttemptTime\":");
                Http.quote(json, Delivery.PENDING.equals(d.state()) ? String.valueOf(d.nextAttemptTime()) : null).append(",\"finishTime\":");
                Http.quote(json, d.finishTime() == null ? null : d.finishTime().toString()).append('}');
            }
            ctx.response().putHeader("Content-Type", "application/json").end(json.append("]}").toString());
        }, failure -> adminFailure(ctx, failure));
    }

    private void retry(RoutingContext ctx) {
        Optional<Platform> platform = platform(ctx);
        if (platform.isEmpty()) {
            return;
        }
        long id = number(ctx.pathParam("inboxId"), -1);
        store.requeue(ctx.pathParam("siteId"), platform.get(), id, clock.instant()).subscribe().with(requeued -> {
            if (!requeued) {
                Http.error(ctx, 404, "NOT_FOUND", "DELIVERY_NOT_FOUND", "no refused or failed delivery has this id", null);
                return;
            }
            worker.wake();
            ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json").end("{\"requeued\":true}");
        }, failure -> adminFailure(ctx, failure));
    }

    /** The platform's own data of a cart: its return URL (the cart proto has no field for it). */
    private void cart(RoutingContext ctx) {
        Optional<Platform> platform = platform(ctx);
        if (platform.isEmpty()) {
            return;
        }
        String siteId = ctx.pathParam("siteId");
        store.get(siteId, platform.get())
                .chain(c -> c.isEmpty() ? Uni.createFrom().item(Optional.<ConnectorStore.CartLink>empty())
                        : store.cart(c.get().storeId(), ctx.pathParam("cartId")))
                .subscribe().with(found -> {
                    if (found.isEmpty() || !found.get().siteId().equals(siteId)) {
                        Http.error(ctx, 404, "NOT_FOUND", "CART_NOT_FOUND", "no cart of this connector has this id", null);
                        return;
                    }
                    ConnectorStore.CartLink link = found.get();
                    StringBuilder json = new StringBuilder("{\"cartId\":");
                    Http.quote(json, link.cartId()).append(",\"storeId\":");
                    Http.quote(json, link.storeId()).append(",\"returnUrl\":");
                    Http.quote(json, link.returnUrl()).append(",\"sourceUpdateTime\":");
                    Http.quote(json, link.sourceUpdateTime() == null ? null : link.sourceUpdateTime().toString()).append('}');
                    ctx.response().putHeader("Content-Type", "application/json").end(json.toString());
                }, failure -> adminFailure(ctx, failure));
    }

    private String connectorJson(RoutingContext ctx, Connector c) {
        String base = publicUrl.orElseGet(() -> ctx.request().scheme() + "://" + ctx.request().authority());
        StringBuilder json = new StringBuilder("{\"siteId\":");
        Http.quote(json, c.siteId()).append(",\"platform\":");
        Http.quote(json, c.platform().path()).append(",\"storeId\":");
        Http.quote(json, c.storeId()).append(",\"enabled\":").append(c.enabled()).append(",\"webhookUrl\":");
        Http.quote(json, stripSlash(base) + "/hooks/" + c.platform().path() + "/" + c.siteKey()).append(",\"secretSet\":true")
                .append(",\"createTime\":");
        Http.quote(json, String.valueOf(c.createTime())).append(",\"updateTime\":");
        return Http.quote(json, String.valueOf(c.updateTime())).append('}').toString();
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static void adminFailure(RoutingContext ctx, Throwable failure) {
        if (failure instanceof IllegalArgumentException e && "secret".equals(e.getMessage())) {
            Http.error(ctx, 400, "INVALID_ARGUMENT", "INVALID_FIELD", "a new connector needs its secret", "secret");
            return;
        }
        if (failure instanceof StatusRuntimeException e && e.getStatus().getCode() == Status.Code.NOT_FOUND) {
            Http.error(ctx, 404, "NOT_FOUND", "SITE_NOT_FOUND", "no site has this id", null);
            return;
        }
        LOG.warnf("connector admin call failed: %s", failure.toString());
        Http.error(ctx, 503, "UNAVAILABLE", "SERVICE_UNAVAILABLE", "try again later", null);
    }

    private static long number(String s, long otherwise) {
        try {
            return s == null ? otherwise : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }
}
