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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import com.google.protobuf.Timestamp;
import org.relance.api.cart.v1.MutinyCartServiceGrpc;
import org.relance.api.cart.v1.MutinyPageViewServiceGrpc;
import org.relance.api.cart.v1.PageView;
import org.relance.api.cart.v1.RecordPageViewsRequest;
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
 * in page order, each answered only after the service committed; the batch's page views go
 * together in one RecordPageViews call, at the place of the first of them. A submit a service refuses for
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

    private static final int MAX_VIEWS_PER_CALL = 100;
    private static final Pattern VIEW_FIELD = Pattern.compile("page_views\\[(\\d+)]\\..*");

    private final MutinyCartServiceGrpc.MutinyCartServiceStub carts;
    private final MutinyTransactionServiceGrpc.MutinyTransactionServiceStub transactions;
    private final MutinyContactServiceGrpc.MutinyContactServiceStub contacts;
    private final MutinyPageViewServiceGrpc.MutinyPageViewServiceStub pageViews;
    private final ServiceCalls calls;
    private final LinkTokens tokens;
    private final Clock clock;
    private final MeterRegistry meters;

    public Ingestor(@GrpcClient("cart") MutinyCartServiceGrpc.MutinyCartServiceStub carts,
                    @GrpcClient("transaction") MutinyTransactionServiceGrpc.MutinyTransactionServiceStub transactions,
                    @GrpcClient("segment") MutinyContactServiceGrpc.MutinyContactServiceStub contacts,
                    @GrpcClient("cart") MutinyPageViewServiceGrpc.MutinyPageViewServiceStub pageViews,
                    ServiceCalls calls, LinkTokens tokens, Clock clock, MeterRegistry meters) {
        this.carts = carts;
        this.transactions = transactions;
        this.contacts = contacts;
        this.pageViews = pageViews;
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
        List<Submit.PageView> views = new ArrayList<>();
        for (Submit submit : batch.submits()) {
            if (submit instanceof Submit.PageView view) {
                views.add(view);
            }
        }
        boolean viewsPlaced = false;
        for (Submit submit : batch.submits()) {
            if (submit instanceof Submit.PageView) {
                if (!viewsPlaced) {
                    viewsPlaced = true;
                    chain = chain.chain(() -> pageViews(site, batch, views).invoke(outcomes::addAll)).replaceWithVoid();
                }
                continue;
            }
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
     * The batch's page views in one RecordPageViews call (several if a batch could hold more than
     * a call takes), whatever the site's tracking mode. The service refuses a whole call for one bad
     * view: that view is refused and the others are sent again without it.
     */
    private Uni<List<Outcome>> pageViews(KnownSite site, Batch batch, List<Submit.PageView> views) {
        String contactId = tokenContact(site, batch);
        Uni<List<Outcome>> chain = Uni.createFrom().item(new ArrayList<>());
        for (int from = 0; from < views.size(); from += MAX_VIEWS_PER_CALL) {
            List<Submit.PageView> part = views.subList(from, Math.min(views.size(), from + MAX_VIEWS_PER_CALL));
            chain = chain.chain(done -> recordViews(site, batch, contactId, part).map(more -> {
                done.addAll(more);
                return done;
            }));
        }
        return chain;
    }

    private Uni<List<Outcome>> recordViews(KnownSite site, Batch batch, String contactId, List<Submit.PageView> views) {
        RecordPageViewsRequest.Builder request = RecordPageViewsRequest.newBuilder()
                .setSiteId(site.site().getSiteId())
                .setVisitorId(batch.visitorId());
        if (contactId != null) {
            request.setContactId(contactId);
        }
        for (Submit.PageView view : views) {
            PageView.Builder v = PageView.newBuilder().setViewId(view.id()).setUrl(view.url()).setReferrer(view.referrer())
                    .setTitle(view.title());
            if (view.viewTime() != null) {
                v.setViewTime(Timestamp.newBuilder().setSeconds(view.viewTime().getEpochSecond()).setNanos(view.viewTime().getNano()));
            }
            request.addPageViews(v);
        }
        RecordPageViewsRequest built = request.build();
        return calls.call(() -> pageViews.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS).recordPageViews(built))
                .map(ignored -> {
                    List<Outcome> applied = new ArrayList<>(views.size());
                    views.forEach(v -> applied.add(Outcome.applied(v)));
                    return applied;
                })
                .onFailure(Ingestor::refusal).recoverWithUni(failure -> {
                    StatusRuntimeException e = (StatusRuntimeException) failure;
                    int bad = offendingView(e, views.size());
                    if (bad < 0 || views.size() == 1) {
                        List<Outcome> refused = new ArrayList<>(views.size());
                        views.forEach(v -> refused.add(refused(v, e)));
                        return Uni.createFrom().item(refused);
                    }
                    List<Submit.PageView> rest = new ArrayList<>(views);
                    Submit.PageView dropped = rest.remove(bad);
                    return recordViews(site, batch, contactId, rest).map(others -> {
                        List<Outcome> all = new ArrayList<>(others);
                        all.add(bad, refused(dropped, e));
                        return all;
                    });
                });
    }

    /** The index of the view an INVALID_ARGUMENT names ("page_views[3].url"), or -1. */
    private static int offendingView(StatusRuntimeException e, int count) {
        if (e.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
            return -1;
        }
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null) {
            return -1;
        }
        for (com.google.protobuf.Any detail : status.getDetailsList()) {
            try {
                if (detail.is(BadRequest.class)) {
                    for (BadRequest.FieldViolation v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
                        Matcher m = VIEW_FIELD.matcher(v.getField());
                        if (m.matches() && m.group(1).length() < 4 && Integer.parseInt(m.group(1)) < count) {
                            return Integer.parseInt(m.group(1));
                        }
                    }
                }
            } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
                // An unreadable detail names no view.
            }
        }
        return -1;
    }

    /** The contact of the batch's token when it is valid for this store, else null. */
    private String tokenContact(KnownSite site, Batch batch) {
        if (batch.contactToken() == null) {
            return null;
        }
        LinkTokens.Verified verified = tokens.verify(batch.contactToken(), LinkTokens.Kind.CONTACT, clock.instant());
        if (verified.token().isEmpty()) {
            return null;
        }
        List<String> values = verified.token().get().values();
        return values.size() >= 2 && values.get(0).equals(site.store().getStoreId()) && !values.get(1).isEmpty() ? values.get(1) : null;
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
