package org.relance.edge.links;

import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.relance.api.cart.v1.GetSiteRequest;
import org.relance.api.cart.v1.MutinyStoreServiceGrpc;
import org.relance.edge.config.EdgeConfig;
import org.relance.edge.http.ServiceCalls;
import org.relance.edge.rejections.Reasons;
import org.relance.edge.rejections.Rejection;
import org.relance.edge.rejections.RejectionLog;
import org.relance.edge.script.TrackerScript;
import org.relance.edge.http.Http;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.links.LinkTokens;

/**
 * {@code GET /r/{token}}: a restore link of a reminder. The token (signed by the segment service
 * with the shared link secret, expiring) names store, site, cart, contact and a reference (the
 * notification). A click is recorded, then the shopper is sent to the site's restore URL with
 * {@code rl_cart} (the cart) and {@code rl_ct} (a fresh contact token the tracker uses to identify
 * the visitor, seed 004). A forged or malformed token gets 404, an expired one 410; both are
 * recorded as refusals, and neither says which part was wrong.
 */
@Singleton
public class RestoreLinks {
    private static final Logger LOG = Logger.getLogger(RestoreLinks.class);

    private final LinkTokens tokens;
    private final MutinyStoreServiceGrpc.MutinyStoreServiceStub stores;
    private final ServiceCalls calls;
    private final Database database;
    private final RejectionLog rejections;
    private final EdgeConfig config;
    private final Clock clock;

    public RestoreLinks(LinkTokens tokens, @GrpcClient("cart") MutinyStoreServiceGrpc.MutinyStoreServiceStub stores,
                        ServiceCalls calls, Database database, RejectionLog rejections, EdgeConfig config, Clock clock) {
        this.tokens = tokens;
        this.stores = stores;
        this.calls = calls;
        this.database = database;
        this.rejections = rejections;
        this.config = config;
        this.clock = clock;
    }

    void routes(@Observes Router router) {
        router.route(HttpMethod.GET, "/r/:token").handler(this::click);
    }

    private void click(RoutingContext ctx) {
        String token = ctx.pathParam("token");
        Instant now = clock.instant();
        LinkTokens.Verified verified = tokens.verify(token, LinkTokens.Kind.RESTORE, now);
        ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-store").putHeader("Referrer-Policy", "no-referrer");
        if (verified.token().isEmpty() || verified.token().get().values().size() != 5) {
            boolean expired = verified.problem() == LinkTokens.Problem.EXPIRED;
            rejections.recordRepeatable(new Rejection("", "", "", null, "restore_link", Reasons.INVALID_LINK, null,
                    "restore link refused: " + (verified.problem() == null ? "malformed" : verified.problem().name().toLowerCase()),
                    expired ? 410 : 404, ctx.request().getHeader(HttpHeaders.ORIGIN), Http.clientAddress(ctx), null, token.length(), now));
            page(ctx, expired ? 410 : 404, expired ? "This link has expired." : "This link is not valid.");
            return;
        }
        List<String> v = verified.token().get().values();
        String store = v.get(0);
        String siteId = v.get(1);
        String cart = v.get(2);
        String contact = v.get(3);
        String reference = v.get(4);
        calls.call(() -> stores.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS)
                        .getSite(GetSiteRequest.newBuilder().setSiteId(siteId).build()))
                .chain(response -> {
                    if (!response.getSite().getStoreId().equals(store) || response.getSite().getRestoreUrl().isEmpty()) {
                        return io.smallrye.mutiny.Uni.createFrom().item((String) null);
                    }
                    String location = target(ctx, response.getSite().getRestoreUrl(), cart,
                            tokens.sign(LinkTokens.Kind.CONTACT, now.plus(config.contactTokenLifetime()), store, contact));
                    return Reactive.uni(database.withConnection(c -> Sql.update(c,
                                    "INSERT INTO link_click (store_id, site_id, cart_id, contact_id, reference, client_address, user_agent, click_time) "
                                            + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                                    store, siteId, cart, contact, reference, Http.clientAddress(ctx),
                                    cut(ctx.request().getHeader(HttpHeaders.USER_AGENT)), now)).next())
                            .replaceWith(location);
                })
                .subscribe().with(location -> {
                    if (location == null) {
                        page(ctx, 404, "This link is not valid.");
                    } else {
                        ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, location).end();
                    }
                }, failure -> {
                    if (failure instanceof StatusRuntimeException e && e.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND) {
                        page(ctx, 404, "This link is not valid.");
                        return;
                    }
                    LOG.warnf("restore link not followed: %s", failure.toString());
                    ctx.response().putHeader("Retry-After", "5");
                    page(ctx, 503, "The shop cannot be reached right now; please try the link again in a moment.");
                });
    }

    /** The restore URL (a path on the edge, or absolute) with rl_cart and rl_ct added to its query. */
    private String target(RoutingContext ctx, String restoreUrl, String cart, String contactToken) {
        String base = restoreUrl.startsWith("/") ? TrackerScript.publicUrl(ctx, config) + restoreUrl : restoreUrl;
        return base + (base.contains("?") ? "&" : "?") + "rl_cart=" + URLEncoder.encode(cart, StandardCharsets.UTF_8)
                + "&rl_ct=" + URLEncoder.encode(contactToken, StandardCharsets.UTF_8);
    }

    private static void page(RoutingContext ctx, int status, String text) {
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                .end("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Relance</title></head><body><p>"
                        + text + "</p></body></html>");
    }

    private static String cut(String s) {
        return s == null || s.length() <= 500 ? s : s.substring(0, 500);
    }
}
