package org.relance.edge.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** Small helpers shared by the edge's routes: error bodies and the caller's address. */
public final class Http {
    private Http() {
    }

    /** The caller's address (the proxy's forwarded one when proxy forwarding is configured). */
    public static String clientAddress(RoutingContext ctx) {
        return ctx.request().remoteAddress() == null ? "" : ctx.request().remoteAddress().hostAddress();
    }

    /**
     * Ends with the documented error body
     * {@code {"error": {"status", "reason", "message", "field"}}}.
     */
    public static void error(RoutingContext ctx, int httpStatus, String status, String reason, String message, String field) {
        HttpServerResponse response = ctx.response();
        if (response.ended()) {
            return;
        }
        StringBuilder body = new StringBuilder(160).append("{\"error\":{\"status\":");
        quote(body, status).append(",\"reason\":");
        quote(body, reason).append(",\"message\":");
        quote(body, message);
        if (field != null) {
            body.append(",\"field\":");
            quote(body, field);
        }
        body.append("}}");
        response.setStatusCode(httpStatus).putHeader("Content-Type", "application/json").end(body.toString());
    }

    /** The gRPC-style status name that goes with an HTTP status in error bodies. */
    public static String statusName(int httpStatus) {
        return switch (httpStatus) {
            case 400, 413 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 409 -> "ALREADY_EXISTS";
            case 410 -> "FAILED_PRECONDITION";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 503 -> "UNAVAILABLE";
            case 504 -> "DEADLINE_EXCEEDED";
            default -> "INTERNAL";
        };
    }

    /** Appends {@code value} as a JSON string (null as null). */
    public static StringBuilder quote(StringBuilder out, String value) {
        if (value == null) {
            return out.append("null");
        }
        out.append('"');
        JsonStringEncoder.getInstance().quoteAsString(value, out);
        return out.append('"');
    }
}
