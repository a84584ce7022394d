package org.relance.edge.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jboss.logging.Logger;
import org.relance.api.cart.v1.GetSiteRequest;
import org.relance.api.cart.v1.ListCartsRequest;
import org.relance.api.cart.v1.ListPageViewsRequest;
import org.relance.api.cart.v1.ListSitesRequest;
import org.relance.api.cart.v1.ListStoresRequest;
import org.relance.api.cart.v1.MutinyCartServiceGrpc;
import org.relance.api.cart.v1.MutinyPageViewServiceGrpc;
import org.relance.api.cart.v1.MutinyStoreServiceGrpc;
import org.relance.api.cart.v1.TestUrlPatternRequest;
import org.relance.api.cart.v1.UpdateSiteRequest;
import org.relance.api.segment.v1.CountContactsRequest;
import org.relance.api.segment.v1.EraseContactRequest;
import org.relance.api.segment.v1.GetContactProfileRequest;
import org.relance.api.segment.v1.GetContactRequest;
import org.relance.api.segment.v1.GetRecoveryStatisticsRequest;
import org.relance.api.segment.v1.ListContactsRequest;
import org.relance.api.segment.v1.MatchContactRequest;
import org.relance.api.segment.v1.MutinyContactServiceGrpc;
import org.relance.api.segment.v1.MutinySegmentServiceGrpc;
import org.relance.api.segment.v1.MutinyTriggerServiceGrpc;
import org.relance.api.segment.v1.CreateTriggerRequest;
import org.relance.api.segment.v1.DryRunTriggerRequest;
import org.relance.api.segment.v1.ExplainTriggerRequest;
import org.relance.api.segment.v1.GetTriggerRequest;
import org.relance.api.segment.v1.ListNotificationsRequest;
import org.relance.api.segment.v1.ListTriggersRequest;
import org.relance.api.segment.v1.PauseTriggerRequest;
import org.relance.api.segment.v1.ResumeTriggerRequest;
import org.relance.api.segment.v1.UpdateTriggerRequest;
import org.relance.api.transaction.v1.ListTransactionsRequest;
import org.relance.api.transaction.v1.MutinyTransactionServiceGrpc;
import org.relance.edge.config.EdgeConfig;
import org.relance.edge.http.Http;
import org.relance.edge.http.ServiceCalls;
import org.relance.edge.rejections.RejectionLog;
import org.relance.edge.sites.SiteDirectory;

/**
 * The JSON read API for the console and scripts, behind the admin token:
 * {@code POST /api/v1/{Service}/{Method}} with the request message as JSON (proto3 JSON mapping,
 * unknown fields refused) answers the response message as JSON; gRPC errors become HTTP statuses
 * with the same reason and field violations. Rejected tracker events are read from the edge's own
 * table at {@code GET /api/v1/sites/{siteId}/rejections}.
 */
@Singleton
public class ReadApi {
    private static final Logger LOG = Logger.getLogger(ReadApi.class);
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

    /** One method: its request type and how to call it. */
    private record Method(Message prototype, Function<Message, Uni<? extends Message>> invoke) {
    }

    private final Map<String, Method> methods = new LinkedHashMap<>();
    private final EdgeConfig config;
    private final RejectionLog rejections;

    public ReadApi(@GrpcClient("segment") MutinySegmentServiceGrpc.MutinySegmentServiceStub segments,
                   @GrpcClient("segment") MutinyContactServiceGrpc.MutinyContactServiceStub contacts,
                   @GrpcClient("segment") MutinyTriggerServiceGrpc.MutinyTriggerServiceStub triggers,
                   @GrpcClient("cart") MutinyStoreServiceGrpc.MutinyStoreServiceStub stores,
                   @GrpcClient("cart") MutinyCartServiceGrpc.MutinyCartServiceStub carts,
                   @GrpcClient("transaction") MutinyTransactionServiceGrpc.MutinyTransactionServiceStub transactions,
                   @GrpcClient("cart") MutinyPageViewServiceGrpc.MutinyPageViewServiceStub pageViews,
                   ServiceCalls calls, EdgeConfig config, RejectionLog rejections, SiteDirectory sites) {
        this.config = config;
        this.rejections = rejections;
        long deadline = calls.deadlineMillis();
        TimeUnit ms = TimeUnit.MILLISECONDS;
        add("SegmentService/CountContacts", CountContactsRequest.getDefaultInstance(),
                r -> segments.withDeadlineAfter(deadline, ms).countContacts((CountContactsRequest) r));
        add("SegmentService/ListContacts", ListContactsRequest.getDefaultInstance(),
                r -> segments.withDeadlineAfter(deadline, ms).listContacts((ListContactsRequest) r));
        add("SegmentService/MatchContact", MatchContactRequest.getDefaultInstance(),
                r -> segments.withDeadlineAfter(deadline, ms).matchContact((MatchContactRequest) r));
        add("SegmentService/GetRecoveryStatistics", GetRecoveryStatisticsRequest.getDefaultInstance(),
                r -> segments.withDeadlineAfter(deadline, ms).getRecoveryStatistics((GetRecoveryStatisticsRequest) r));
        add("ContactService/GetContact", GetContactRequest.getDefaultInstance(),
                r -> contacts.withDeadlineAfter(deadline, ms).getContact((GetContactRequest) r));
        add("ContactService/GetContactProfile", GetContactProfileRequest.getDefaultInstance(),
                r -> contacts.withDeadlineAfter(deadline, ms).getContactProfile((GetContactProfileRequest) r));
        // Erasure is a write, but the console's contact page must offer it (with confirmation).
        add("ContactService/EraseContact", EraseContactRequest.getDefaultInstance(),
                r -> contacts.withDeadlineAfter(Math.max(deadline, 30_000), ms).eraseContact((EraseContactRequest) r));
        // The console's trigger pages: reads, plus the writes a marketer makes there (create, edit,
        // pause, resume). Delete and redelivery stay gRPC-only.
        add("TriggerService/ListTriggers", ListTriggersRequest.getDefaultInstance(),
                r -> triggers.withDeadlineAfter(deadline, ms).listTriggers((ListTriggersRequest) r));
        add("TriggerService/GetTrigger", GetTriggerRequest.getDefaultInstance(),
                r -> triggers.withDeadlineAfter(deadline, ms).getTrigger((GetTriggerRequest) r));
        add("TriggerService/CreateTrigger", CreateTriggerRequest.getDefaultInstance(),
                r -> triggers.withDeadlineAfter(deadline, ms).createTrigger((CreateTriggerRequest) r));
        add("TriggerService/UpdateTrigger", UpdateTriggerRequest.getDefaultInstance(),
                r -> triggers.withDeadlineAfter(deadline, ms).updateTrigger((UpdateTriggerRequest) r));
        add("TriggerService/PauseTrigger", PauseTriggerRequest.getDefaultInstance(),
                r -> triggers.withDeadlineAfter(deadline, ms).pauseTrigger((PauseTriggerRequest) r));
        add("TriggerService/ResumeTrigger", ResumeTriggerRequest.getDefaultInstance(),
                r -> triggers.withDeadlineAfter(deadline, ms).resumeTrigger((ResumeTriggerRequest) r));
        add("TriggerService/ListNotifications", ListNotificationsRequest.getDefaultInstance(),
                r -> triggers.withDeadlineAfter(deadline, ms).listNotifications((ListNotificationsRequest) r));
        add("TriggerService/ExplainTrigger", ExplainTriggerRequest.getDefaultInstance(),
                r -> triggers.withDeadlineAfter(deadline, ms).explainTrigger((ExplainTriggerRequest) r));
        add("TriggerService/DryRunTrigger", DryRunTriggerRequest.getDefaultInstance(),
                r -> triggers.withDeadlineAfter(deadline, ms).dryRunTrigger((DryRunTriggerRequest) r));
        add("StoreService/ListStores", ListStoresRequest.getDefaultInstance(),
                r -> stores.withDeadlineAfter(deadline, ms).listStores((ListStoresRequest) r));
        add("StoreService/ListSites", ListSitesRequest.getDefaultInstance(),
                r -> stores.withDeadlineAfter(deadline, ms).listSites((ListSitesRequest) r));
        add("StoreService/GetSite", GetSiteRequest.getDefaultInstance(),
                r -> stores.withDeadlineAfter(deadline, ms).getSite((GetSiteRequest) r));
        // The console's site settings (URL journey patterns, page views on or off). The edge's own
        // cache of the site is dropped so that its tracker script and batches follow at once.
        add("StoreService/UpdateSite", UpdateSiteRequest.getDefaultInstance(),
                r -> stores.withDeadlineAfter(deadline, ms).updateSite((UpdateSiteRequest) r)
                        .invoke(response -> sites.forget(response.getSite().getSiteKey())));
        add("PageViewService/ListPageViews", ListPageViewsRequest.getDefaultInstance(),
                r -> pageViews.withDeadlineAfter(deadline, ms).listPageViews((ListPageViewsRequest) r));
        add("PageViewService/TestUrlPattern", TestUrlPatternRequest.getDefaultInstance(),
                r -> pageViews.withDeadlineAfter(deadline, ms).testUrlPattern((TestUrlPatternRequest) r));
        add("CartService/ListCarts", ListCartsRequest.getDefaultInstance(),
                r -> carts.withDeadlineAfter(deadline, ms).listCarts((ListCartsRequest) r));
        add("TransactionService/ListTransactions", ListTransactionsRequest.getDefaultInstance(),
                r -> transactions.withDeadlineAfter(deadline, ms).listTransactions((ListTransactionsRequest) r));
    }

    private void add(String name, Message prototype, Function<Message, Uni<? extends Message>> invoke) {
        methods.put(name, new Method(prototype, invoke));
    }

    /** The methods offered, for the docs and tests. */
    public List<String> methodNames() {
        return List.copyOf(methods.keySet());
    }

    void routes(@Observes Router router) {
        router.route("/api/v1/*").handler(this::authorize);
        router.route(HttpMethod.POST, "/api/v1/*").handler(BodyHandler.create().setBodyLimit(1_048_576).setHandleFileUploads(false));
        router.route(HttpMethod.POST, "/api/v1/:service/:method").handler(this::call);
        router.route(HttpMethod.GET, "/api/v1/sites/:siteId/rejections").handler(this::rejections);
        router.route(HttpMethod.GET, "/api/v1/sites/:siteId/rejections/counts").handler(this::rejectionCounts);
    }

    private void authorize(RoutingContext ctx) {
        if (config.adminToken().isEmpty() || config.adminToken().get().isBlank()) {
            Http.error(ctx, 503, "UNAVAILABLE", "API_DISABLED", "the read API is off: set RELANCE_EDGE_ADMIN_TOKEN", null);
            return;
        }
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        String expected = "Bearer " + config.adminToken().get();
        if (header == null || !MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
            Http.error(ctx, 401, "UNAUTHENTICATED", "ADMIN_TOKEN_REQUIRED", "send Authorization: Bearer <admin token>", null);
            return;
        }
        ctx.next();
    }

    private void call(RoutingContext ctx) {
        String name = ctx.pathParam("service") + "/" + ctx.pathParam("method");
        Method method = methods.get(name);
        if (method == null) {
            Http.error(ctx, 404, "NOT_FOUND", "UNKNOWN_METHOD", "no such method; offered: " + String.join(", ", methods.keySet()), null);
            return;
        }
        Message request;
        try {
            Message.Builder builder = method.prototype().newBuilderForType();
            String body = ctx.body() == null || ctx.body().length() == 0 ? "{}" : ctx.body().asString();
            PARSER.merge(body, builder);
            request = builder.build();
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            Http.error(ctx, 400, "INVALID_ARGUMENT", "MALFORMED_REQUEST", "the body is not a " + method.prototype().getDescriptorForType().getName()
                    + " in JSON: " + firstLine(e.getMessage()), null);
            return;
        }
        method.invoke().apply(request).subscribe().with(response -> {
            try {
                ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(PRINTER.print(response));
            } catch (InvalidProtocolBufferException e) {
                LOG.error("could not print a response", e);
                Http.error(ctx, 500, "INTERNAL", "INTERNAL", "internal error", null);
            }
        }, failure -> grpcError(ctx, failure));
    }

    /** A gRPC failure as the HTTP status of the same meaning, with its reason and field violations. */
    static void grpcError(RoutingContext ctx, Throwable failure) {
        if (!(failure instanceof StatusRuntimeException e)) {
            LOG.warn("read API call failed", failure);
            Http.error(ctx, 500, "INTERNAL", "INTERNAL", "internal error", null);
            return;
        }
        Status.Code code = e.getStatus().getCode();
        int http = switch (code) {
            case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED -> 409;
            case PERMISSION_DENIED -> 403;
            case RESOURCE_EXHAUSTED -> 429;
            case UNAVAILABLE -> 503;
            case DEADLINE_EXCEEDED -> 504;
            // The services refusing the edge's own token is the edge's misconfiguration.
            case UNAUTHENTICATED -> 502;
            default -> 500;
        };
        String reason = code.name();
        StringBuilder violations = new StringBuilder();
        String field = null;
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status != null) {
            for (com.google.protobuf.Any detail : status.getDetailsList()) {
                try {
                    if (detail.is(ErrorInfo.class)) {
                        reason = detail.unpack(ErrorInfo.class).getReason();
                    } else if (detail.is(BadRequest.class)) {
                        for (BadRequest.FieldViolation v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
                            field = field == null ? v.getField() : field;
                            violations.append(violations.length() == 0 ? "" : ",").append("{\"field\":");
                            Http.quote(violations, v.getField()).append(",\"description\":");
                            Http.quote(violations, v.getDescription()).append('}');
                        }
                    }
                } catch (InvalidProtocolBufferException ignored) {
                    // An unreadable detail adds nothing.
                }
            }
        }
        String message = http == 500 || http == 502 ? "internal error" : e.getStatus().getDescription();
        StringBuilder body = new StringBuilder("{\"error\":{\"status\":");
        Http.quote(body, code.name()).append(",\"reason\":");
        Http.quote(body, reason).append(",\"message\":");
        Http.quote(body, message == null ? code.name() : message);
        if (field != null) {
            body.append(",\"field\":");
            Http.quote(body, field);
            body.append(",\"violations\":[").append(violations).append(']');
        }
        body.append("}}");
        if (http == 503) {
            ctx.response().putHeader("Retry-After", "5");
        }
        ctx.response().setStatusCode(http).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.toString());
    }

    private void rejections(RoutingContext ctx) {
        String siteId = ctx.pathParam("siteId");
        String key = param(ctx, "site_key", "");
        String reason = param(ctx, "reason", "");
        long before;
        int limit;
        try {
            before = Long.parseLong(param(ctx, "before", Long.toString(Long.MAX_VALUE)));
            limit = Integer.parseInt(param(ctx, "limit", "50"));
        } catch (NumberFormatException e) {
            Http.error(ctx, 400, "INVALID_ARGUMENT", "INVALID_FIELD", "before and limit must be whole numbers", "limit");
            return;
        }
        if (limit < 1 || limit > 500) {
            Http.error(ctx, 400, "INVALID_ARGUMENT", "INVALID_FIELD", "limit must be between 1 and 500", "limit");
            return;
        }
        // "-" lists refusals of a key that named no site (site_key then says which).
        rejections.list(siteId.equals("-") ? "" : siteId, key, reason, before, limit).subscribe().with(list -> {
            StringBuilder json = new StringBuilder("{\"rejections\":[");
            for (int i = 0; i < list.size(); i++) {
                RejectionLog.Stored s = list.get(i);
                var r = s.rejection();
                json.append(i == 0 ? "" : ",").append("{\"id\":").append(s.rejectionId()).append(",\"siteKey\":");
                Http.quote(json, r.siteKey()).append(",\"siteId\":");
                Http.quote(json, r.siteId()).append(",\"storeId\":");
                Http.quote(json, r.storeId()).append(",\"submitId\":");
                Http.quote(json, r.submitId()).append(",\"kind\":");
                Http.quote(json, r.kind()).append(",\"reason\":");
                Http.quote(json, r.reason()).append(",\"field\":");
                Http.quote(json, r.field()).append(",\"message\":");
                Http.quote(json, r.message()).append(",\"httpStatus\":").append(r.httpStatus()).append(",\"origin\":");
                Http.quote(json, r.origin()).append(",\"clientAddress\":");
                Http.quote(json, r.clientAddress()).append(",\"payload\":");
                Http.quote(json, r.payload()).append(",\"payloadBytes\":").append(r.payloadBytes())
                        .append(",\"occurrences\":").append(s.occurrences()).append(",\"receiveTime\":");
                Http.quote(json, r.receiveTime().toString()).append('}');
            }
            json.append("]");
            if (list.size() == limit) {
                json.append(",\"nextBefore\":").append(list.get(list.size() - 1).rejectionId());
            }
            json.append('}');
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(json.toString());
        }, failure -> {
            LOG.warnf("rejections not read: %s", failure.toString());
            Http.error(ctx, 503, "UNAVAILABLE", "STORAGE_UNAVAILABLE", "the edge's database is unavailable", null);
        });
    }

    private void rejectionCounts(RoutingContext ctx) {
        String siteId = ctx.pathParam("siteId");
        Instant since;
        try {
            since = Instant.parse(param(ctx, "since", "1970-01-01T00:00:00Z"));
        } catch (RuntimeException e) {
            Http.error(ctx, 400, "INVALID_ARGUMENT", "INVALID_FIELD", "since must be a time such as 2026-11-22T00:00:00Z", "since");
            return;
        }
        rejections.countByReason(siteId.equals("-") ? "" : siteId, param(ctx, "site_key", ""), since).subscribe().with(counts -> {
            StringBuilder json = new StringBuilder("{\"total\":").append(counts.values().stream().mapToLong(Long::longValue).sum())
                    .append(",\"byReason\":{");
            int i = 0;
            for (Map.Entry<String, Long> e : counts.entrySet()) {
                json.append(i++ == 0 ? "" : ",");
                Http.quote(json, e.getKey()).append(':').append(e.getValue());
            }
            json.append("}}");
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(json.toString());
        }, failure -> Http.error(ctx, 503, "UNAVAILABLE", "STORAGE_UNAVAILABLE", "the edge's database is unavailable", null));
    }

    private static String param(RoutingContext ctx, String name, String fallback) {
        String v = ctx.request().getParam(name);
        return v == null || v.isEmpty() ? fallback : v;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() <= 200 ? line : line.substring(0, 200);
    }
}
