package org.relance.kit.grpc;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;
import org.relance.kit.error.AlreadyExistsException;
import java.util.List;
import org.relance.kit.error.FieldViolation;
import org.relance.kit.error.InvalidArgumentException;
import org.relance.kit.error.NotFoundException;
import org.relance.kit.error.RuleViolationException;

/**
 * The one place where a failure becomes a gRPC status, following the table of STYLE.md.
 * Callers get a stable code, a message written for them and {@code google.rpc} details;
 * internal failures get a generic message and their cause goes to the log only.
 */
public final class GrpcStatusMapper {
    /** {@code google.rpc.ErrorInfo.domain} of every Relance error. */
    public static final String DOMAIN = "relance.org";

    private static final Logger LOG = Logger.getLogger(GrpcStatusMapper.class);
    private static final int MAX_VIOLATIONS = 20;
    private static final int MAX_TEXT = 200;
    private static final int MAX_MESSAGE = 1000;

    private GrpcStatusMapper() {
    }

    /** Maps any failure to a status exception carrying {@code google.rpc.Status} details. */
    public static StatusRuntimeException toStatusException(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof StatusRuntimeException sre) {
            return sre;
        }
        if (t instanceof io.grpc.StatusException se) {
            return new StatusRuntimeException(se.getStatus(), se.getTrailers());
        }
        if (t instanceof InvalidArgumentException e) {
            BadRequest.Builder badRequest = BadRequest.newBuilder();
            List<FieldViolation> violations = e.violations();
            for (int i = 0; i < violations.size() && i < MAX_VIOLATIONS; i++) {
                FieldViolation v = violations.get(i);
                badRequest.addFieldViolations(BadRequest.FieldViolation.newBuilder()
                        .setField(abbreviate(v.field(), MAX_TEXT)).setDescription(abbreviate(v.description(), MAX_TEXT)));
            }
            if (violations.size() > MAX_VIOLATIONS) {
                badRequest.addFieldViolations(BadRequest.FieldViolation.newBuilder().setField("")
                        .setDescription("and " + (violations.size() - MAX_VIOLATIONS) + " more problems"));
            }
            return build(Code.INVALID_ARGUMENT, e.getMessage(), "INVALID_FIELD", badRequest.build());
        }
        if (t instanceof NotFoundException e) {
            return build(Code.NOT_FOUND, e.getMessage(), "NOT_FOUND", null);
        }
        if (t instanceof AlreadyExistsException e) {
            return build(Code.ALREADY_EXISTS, e.getMessage(), "ALREADY_EXISTS", null);
        }
        if (t instanceof RuleViolationException e) {
            return build(Code.FAILED_PRECONDITION, e.getMessage(), e.reason(), null);
        }
        if (t instanceof R2dbcException e) {
            return fromDatabase(e);
        }
        if (t instanceof TimeoutException) {
            LOG.warnf("deadline exceeded: %s", t.toString());
            return build(Code.DEADLINE_EXCEEDED, "the operation timed out", "TIMEOUT", null);
        }
        if (t instanceof ConnectException || t instanceof java.io.IOException) {
            LOG.warnf("storage unavailable: %s", t.toString());
            return build(Code.UNAVAILABLE, "storage is unavailable, retry later", "STORAGE_UNAVAILABLE", null);
        }
        if (t instanceof IllegalStateException && "Trailers already sent".equals(t.getMessage())) {
            // The transport closed the call first (a request over the size limit was answered by gRPC itself).
            LOG.debugf("call already closed by the transport: %s", t.toString());
            return build(Code.CANCELLED, "the call was already closed", "CANCELLED", null);
        }
        LOG.error("internal error", t);
        return build(Code.INTERNAL, "internal error", "INTERNAL", null);
    }

    private static StatusRuntimeException fromDatabase(R2dbcException e) {
        String state = e.getSqlState() == null ? "" : e.getSqlState();
        if (state.equals("23505")) {
            return build(Code.ALREADY_EXISTS, "the resource already exists", "ALREADY_EXISTS", null);
        }
        if (state.equals("40001") || state.equals("40P01")) {
            return build(Code.ABORTED, "a concurrent change won, retry", "CONFLICT", null);
        }
        if (state.equals("57014")) {
            return build(Code.DEADLINE_EXCEEDED, "the operation timed out", "TIMEOUT", null);
        }
        if (state.startsWith("08") || state.startsWith("57P") || state.equals("53300")
                || e instanceof R2dbcNonTransientResourceException || e instanceof R2dbcTransientResourceException) {
            LOG.warnf("storage unavailable: %s (%s)", e.getClass().getSimpleName(), state);
            return build(Code.UNAVAILABLE, "storage is unavailable, retry later", "STORAGE_UNAVAILABLE", null);
        }
        LOG.error("database error " + state, e);
        return build(Code.INTERNAL, "internal error", "INTERNAL", null);
    }

    private static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof java.util.concurrent.CompletionException
                || current instanceof java.util.concurrent.ExecutionException
                || current instanceof io.smallrye.mutiny.CompositeException
                || current.getClass().getName().equals("reactor.core.Exceptions$ReactiveException"))
                && current.getCause() != null) {
            current = current instanceof io.smallrye.mutiny.CompositeException ce ? ce.getCauses().get(0) : current.getCause();
        }
        return current;
    }

    /**
     * Status messages and details travel in HTTP/2 trailers, which peers cap (8 KiB by default): a
     * refusal that quotes a huge input must stay a refusal, so texts and violations are bounded.
     */
    static String abbreviate(String text, int max) {
        if (text == null || text.length() <= max) {
            return text == null ? "" : text;
        }
        return text.substring(0, max) + "… (" + text.length() + " characters)";
    }

    private static StatusRuntimeException build(Code code, String message, String reason, BadRequest badRequest) {
        com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
                .setCode(code.getNumber())
                .setMessage(abbreviate(message, MAX_MESSAGE))
                .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain(DOMAIN).setReason(reason).build()));
        if (badRequest != null) {
            status.addDetails(Any.pack(badRequest));
        }
        return StatusProto.toStatusRuntimeException(status.build());
    }
}
