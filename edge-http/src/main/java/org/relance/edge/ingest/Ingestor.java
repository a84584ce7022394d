package org.relance.edge.ingest;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.relance.api.cart.v1.MutinyCartServiceGrpc;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.api.segment.v1.IdentifyVisitorRequest;
import org.relance.api.segment.v1.MutinyContactServiceGrpc;
import org.relance.api.transaction.v1.MutinyTransactionServiceGrpc;
import org.relance.api.transaction.v1.RecordTransactionRequest;
import org.relance.edge.http.ServiceCalls;
import org.relance.edge.rejections.Reasons;
import org.relance.edge.sites.SiteDirectory.KnownSite;
import org.relance.kit.links.LinkTokens;

/**
 * Applies a parsed batch: each submit becomes one gRPC call (cart submit, transaction, identify),
 * in page order, each answered only after the service committed. A submit a service refuses for
 * what it is (bad argument, broken rule, a repeat id with other content) becomes a refusal; a
 * service that cannot be reached fails the whole batch, so the tracker keeps it and sends it again
 * (what was applied already is then a repeat, applied once).
 */
@Singleton
public class Ingestor {
    /** What happened to one submit. */
    public record Outcome(Submit submit, boolean applied, String reason, String field, String message) {
        static Outcome applied(Submit submit) {
            return new Outcome(submit, true, null, null, null);
        }
    }

    private final MutinyCartServiceGrpc.MutinyCartServiceStub carts;
    private final MutinyTransactionServiceGrpc.MutinyTransactionServiceStub transactions;
    private final MutinyContactServiceGrpc.MutinyContactServiceStub contacts;
    private final ServiceCalls calls;
    private final LinkTokens tokens;
    private final Clock clock;
    private final MeterRegistry meters;

    public Ingestor(@GrpcClient("cart") MutinyCartServiceGrpc.MutinyCartServiceStub carts,
                    @GrpcClient("transaction") MutinyTransactionServiceGrpc.MutinyTransactionServiceStub transactions,
                    @GrpcClient("segment") MutinyContactServiceGrpc.MutinyContactServiceStub contacts,
                    ServiceCalls calls, LinkTokens tokens, Clock clock, MeterRegistry meters) {
        this.carts = carts;
        this.transactions = transactions;
        this.contacts = contacts;
        this.calls = calls;
        this.tokens = tokens;
        this.clock = clock;
        this.meters = meters;
    }

    /**
     * Applies the batch's contact token (when valid) and then its submits, one after the other.
     * Fails with a StatusRuntimeException when a service is unavailable.
     */
    public Uni<List<Outcome>> apply(KnownSite site, Batch batch) {
        List<Outcome> outcomes = new ArrayList<>(batch.submits().size() + 1);
        Uni<Void> chain = Uni.createFrom().voidItem();
        if (batch.contactToken() != null) {
            chain = chain.chain(() -> contactToken(site, batch).invoke(o -> {
                if (o != null) {
                    outcomes.add(o);
                }
            })).replaceWithVoid();
        }
        for (Submit submit : batch.submits()) {
            chain = chain.chain(() -> one(site, batch, submit).invoke(outcomes::add)).replaceWithVoid();
        }
        return chain.map(ignored -> {
            for (Outcome o : outcomes) {
                meters.counter("relance.edge.submits", "outcome", o.applied() ? "applied" : "rejected").increment();
            }
            return outcomes;
        });
    }

    private Uni<Outcome> one(KnownSite site, Batch batch, Submit submit) {
        if (submit instanceof Submit.Invalid invalid) {
            return Uni.createFrom().item(new Outcome(submit, false, invalid.reason(), invalid.field(), invalid.message()));
        }
        if (submit instanceof Submit.Cart cart) {
            if (site.site().getTrackingMode() == TrackingMode.TRACKING_MODE_TRANSACTIONS_ONLY) {
                return Uni.createFrom().item(new Outcome(submit, false, Reasons.CARTS_NOT_TRACKED, null,
                        "the site tracks transactions only (seed 000, Activation)"));
            }
            SubmitCartRequest request = SubmitCartRequest.newBuilder()
                    .setStoreId(site.store().getStoreId())
                    .setSiteId(site.site().getSiteId())
                    .setSubmitId(cart.id())
                    .setVisitorId(batch.visitorId())
                    .addAllOperations(cart.operations())
                    .build();
            return guarded(submit, calls.call(() -> carts.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS)
                    .submitCart(request)));
        }
        if (submit instanceof Submit.Purchase purchase) {
            RecordTransactionRequest request = RecordTransactionRequest.newBuilder()
                    .setTransaction(purchase.transaction().toBuilder()
                            .setStoreId(site.store().getStoreId())
                            .setSiteId(site.site().getSiteId())
                            .setVisitorId(batch.visitorId()))
                    .build();
            return guarded(submit, calls.call(() -> transactions.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS)
                    .recordTransaction(request)));
        }
        Submit.Identify identify = (Submit.Identify) submit;
        IdentifyVisitorRequest.Builder request = IdentifyVisitorRequest.newBuilder()
                .setStoreId(site.store().getStoreId())
                .setVisitorId(batch.visitorId());
        if (identify.contactId() != null) {
            request.setContactId(identify.contactId());
        } else {
            request.setEmail(identify.email());
        }
        if (identify.firstName() != null) {
            request.setFirstName(identify.firstName());
        }
        if (identify.lastName() != null) {
            request.setLastName(identify.lastName());
        }
        return guarded(submit, calls.call(() -> contacts.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS)
                .identifyVisitor(request.build())));
    }

    /**
     * A contact token from a Relance link (seed 004): valid for this store, it identifies the
     * visitor as its contact. A refused token is recorded; the batch goes on.
     */
    private Uni<Outcome> contactToken(KnownSite site, Batch batch) {
        Submit pseudo = new Submit.Invalid(null, "contact_token", Reasons.INVALID_CONTACT_TOKEN, "contactToken", "", batch.contactToken());
        LinkTokens.Verified verified = tokens.verify(batch.contactToken(), LinkTokens.Kind.CONTACT, clock.instant());
        if (verified.token().isEmpty()) {
            return Uni.createFrom().item(new Outcome(pseudo, false, Reasons.INVALID_CONTACT_TOKEN, "contactToken",
                    "the contact token is " + verified.problem().name().toLowerCase().replace('_', ' ')));
        }
        List<String> values = verified.token().get().values();
        if (values.size() < 2 || !values.get(0).equals(site.store().getStoreId()) || values.get(1).isEmpty()) {
            return Uni.createFrom().item(new Outcome(pseudo, false, Reasons.INVALID_CONTACT_TOKEN, "contactToken",
                    "the contact token belongs to another store"));
        }
        IdentifyVisitorRequest request = IdentifyVisitorRequest.newBuilder()
                .setStoreId(site.store().getStoreId()).setVisitorId(batch.visitorId()).setContactId(values.get(1)).build();
        // Applied tokens are not reported: the tracker only needs to know about refusals.
        return guarded(pseudo, calls.call(() -> contacts.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS)
                .identifyVisitor(request)))
                .map(o -> o.applied() ? null : o);
    }

    /** A service's answer as an outcome; failures that say nothing about the submit propagate. */
    private static Uni<Outcome> guarded(Submit submit, Uni<?> call) {
        return call.map(ignored -> Outcome.applied(submit))
                .onFailure(Ingestor::refusal).recoverWithItem(failure -> refused(submit, (StatusRuntimeException) failure));
    }

    /** A service refused the submit itself: sending it again cannot help. */
    static boolean refusal(Throwable failure) {
        if (!(failure instanceof StatusRuntimeException e)) {
            return false;
        }
        Status.Code code = e.getStatus().getCode();
        return code == Status.Code.INVALID_ARGUMENT || code == Status.Code.FAILED_PRECONDITION
                || code == Status.Code.ALREADY_EXISTS || code == Status.Code.OUT_OF_RANGE || code == Status.Code.NOT_FOUND;
    }

    private static Outcome refused(Submit submit, StatusRuntimeException e) {
        String reason = e.getStatus().getCode().name();
        String field = null;
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status != null) {
            for (com.google.protobuf.Any detail : status.getDetailsList()) {
                try {
                    if (detail.is(ErrorInfo.class)) {
                        reason = detail.unpack(ErrorInfo.class).getReason();
                    } else if (detail.is(BadRequest.class)) {
                        BadRequest bad = detail.unpack(BadRequest.class);
                        if (bad.getFieldViolationsCount() > 0) {
                            field = bad.getFieldViolations(0).getField();
                        }
                    }
                } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
                    // A detail we cannot read adds nothing to the refusal.
                }
            }
        }
        String message = e.getStatus().getDescription() == null ? e.getStatus().getCode().name() : e.getStatus().getDescription();
        return new Outcome(submit, false, reason, field, message);
    }
}
