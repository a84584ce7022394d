package org.relance.edge.connectors;

import com.google.protobuf.FieldMask;
import com.google.protobuf.Timestamp;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.ClearCartOperation;
import org.relance.api.cart.v1.MutinyCartServiceGrpc;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.api.segment.v1.Consent;
import org.relance.api.segment.v1.ConsentState;
import org.relance.api.segment.v1.Contact;
import org.relance.api.segment.v1.FindContactByEmailRequest;
import org.relance.api.segment.v1.MutinyContactServiceGrpc;
import org.relance.api.segment.v1.UpsertContactRequest;
import org.relance.api.transaction.v1.BatchGetProductsRequest;
import org.relance.api.transaction.v1.MutinyCatalogServiceGrpc;
import org.relance.api.transaction.v1.MutinyTransactionServiceGrpc;
import org.relance.api.transaction.v1.Product;
import org.relance.api.transaction.v1.UpsertProductsRequest;
import org.relance.api.transaction.v1.RecordTransactionRequest;
import org.relance.api.transaction.v1.Transaction;
import org.relance.api.transaction.v1.TransactionItem;
import org.relance.edge.http.ServiceCalls;
import org.relance.edge.sites.SiteDirectory;
import org.relance.edge.sites.SiteDirectory.KnownSite;
import org.relance.kit.grpc.Moneys;

/**
 * Turns a webhook into service calls: the contact first (so that the cart or purchase belongs to
 * it), then the cart snapshot as one submit, or the purchase. Every call carries an id made from the
 * delivery, so applying a delivery again (after a crash, or a retry) changes nothing more.
 * Application-scoped (not a singleton) so that a test can put a failing stand-in in front of it.
 */
@ApplicationScoped
public class PlatformApplier implements WebhookApplier {
    private static final Logger LOG = Logger.getLogger(PlatformApplier.class);
    static final String CART_CONVERTED = "CART_CONVERTED";
    static final String CONTACT_SUPPRESSED = "CONTACT_SUPPRESSED";

    private final SiteDirectory sites;
    private final ConnectorStore store;
    private final MutinyCartServiceGrpc.MutinyCartServiceStub carts;
    private final MutinyTransactionServiceGrpc.MutinyTransactionServiceStub transactions;
    private final MutinyContactServiceGrpc.MutinyContactServiceStub contacts;
    private final MutinyCatalogServiceGrpc.MutinyCatalogServiceStub catalog;
    private final ServiceCalls calls;
    private final Clock clock;

    public PlatformApplier(SiteDirectory sites, ConnectorStore store,
                           @GrpcClient("cart") MutinyCartServiceGrpc.MutinyCartServiceStub carts,
                           @GrpcClient("transaction") MutinyTransactionServiceGrpc.MutinyTransactionServiceStub transactions,
                           @GrpcClient("segment") MutinyContactServiceGrpc.MutinyContactServiceStub contacts,
                           @GrpcClient("transaction") MutinyCatalogServiceGrpc.MutinyCatalogServiceStub catalog,
                           ServiceCalls calls, Clock clock) {
        this.sites = sites;
        this.store = store;
        this.carts = carts;
        this.transactions = transactions;
        this.contacts = contacts;
        this.catalog = catalog;
        this.calls = calls;
        this.clock = clock;
    }

    @Override
    public Uni<Result> apply(Delivery d) {
        return sites.find(d.siteKey())
                .chain(found -> {
                    if (found.isEmpty()) {
                        return Uni.createFrom().item(Result.refused("SITE_NOT_FOUND", "site key " + d.siteKey() + " names no site any more"));
                    }
                    KnownSite site = found.get();
                    Mapped mapped;
                    try {
                        String currency = site.store().getCurrencyCode();
                        mapped = d.platform() == Platform.SHOPIFY
                                ? ShopifyMapping.map(d.topic(), d.payload(), currency)
                                : WooCommerceMapping.map(d.topic(), d.payload(), currency);
                    } catch (MappingException e) {
                        return Uni.createFrom().item(Result.refused(e.reason(), e.getMessage()));
                    }
                    return apply(d, site, mapped);
                })
                .onFailure().recoverWithItem(PlatformApplier::failure);
    }

    private Uni<Result> apply(Delivery d, KnownSite site, Mapped mapped) {
        String ids = "wh-" + Signatures.sha256Hex(d.siteId().getBytes(StandardCharsets.UTF_8),
                d.platform().path().getBytes(StandardCharsets.UTF_8), d.dedupKey().getBytes(StandardCharsets.UTF_8)).substring(0, 40);
        return contact(ids, site, mapped.contact()).chain(contact -> {
            if (contact.refusal() != null) {
                return Uni.createFrom().item(contact.refusal());
            }
            if (mapped.refusalReason() != null) {
                return Uni.createFrom().item(Result.refused(mapped.refusalReason(), mapped.refusalDetail()));
            }
            if (mapped.cart() != null) {
                return catalogue(site, mapped.cart().lines(), mapped.cart().currency())
                        .chain(() -> cart(ids, d, site, mapped.cart(), contact.contactId()));
            }
            if (mapped.purchase() != null) {
                return catalogue(site, mapped.purchase().lines(), mapped.purchase().currency())
                        .chain(() -> purchase(ids, site, mapped.purchase(), contact.contactId()));
            }
            if (mapped.ignoredReason() != null) {
                return Uni.createFrom().item(new Result(Delivery.IGNORED, mapped.ignoredReason(),
                        mapped.contact() == null ? null : "the contact was updated; nothing else maps"));
            }
            return Uni.createFrom().item(Result.done("CONTACT_UPDATED", contact.contactId()));
        });
    }

    /** The contact's id, or a refusal that stops the delivery, or neither (no contact: go on without one). */
    private record ContactStep(String contactId, Result refusal) {
    }

    private Uni<ContactStep> contact(String ids, KnownSite site, Mapped.Contact c) {
        if (c == null) {
            return Uni.createFrom().item(new ContactStep("", null));
        }
        return findOrCreate(c, true)
                .map(contact -> new ContactStep(contact.getContactId(), null))
                .onFailure(PlatformApplier::refusal).recoverWithItem(failure -> {
                    String reason = reason((StatusRuntimeException) failure);
                    if (CONTACT_SUPPRESSED.equals(reason)) {
                        // An erased contact must not be tracked again, not even as an anonymous cart.
                        return new ContactStep(null, Result.refused(reason, "the contact was erased: " + describe(failure)));
                    }
                    LOG.infof("contact of a %s webhook refused (%s: %s); the rest applies without it", site.site().getSiteId(), reason,
                            describe(failure));
                    return new ContactStep("", null);
                });
    }

    /**
     * The contact with the e-mail, changed as the webhook says, or a new one. Contacts are found by
     * e-mail because that is what the tracker's Identify and the platforms share. A new contact gets
     * a random id (an id made from the e-mail would put a hash of it into every link). When another
     * writer creates the same e-mail at the same moment, the e-mail is found again, once.
     */
    private Uni<Contact> findOrCreate(Mapped.Contact c, boolean firstTry) {
        FindContactByEmailRequest find = FindContactByEmailRequest.newBuilder().setEmail(c.email()).build();
        return calls.call(() -> contacts.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS).findContactByEmail(find))
                .map(r -> r.getContact())
                .onFailure(f -> f instanceof StatusRuntimeException e && e.getStatus().getCode() == Status.Code.NOT_FOUND)
                .recoverWithNull()
                .chain(existing -> {
                    // The service reads the contact by id, so a retry after a lost answer finds the e-mail and updates.
                    UpsertContactRequest.Builder request = UpsertContactRequest.newBuilder()
                            .setRequestId("wh-" + UUID.randomUUID());
                    Contact.Builder contact = Contact.newBuilder().setEmail(c.email())
                            .setContactId(existing != null ? existing.getContactId() : "c-" + UUID.randomUUID());
                    List<String> paths = new ArrayList<>();
                    if (c.firstName() != null && (c.authoritative() || existing == null || existing.getFirstName().isEmpty())) {
                        contact.setFirstName(cut(c.firstName(), 200));
                        paths.add("first_name");
                    }
                    if (c.lastName() != null && (c.authoritative() || existing == null || existing.getLastName().isEmpty())) {
                        contact.setLastName(cut(c.lastName(), 200));
                        paths.add("last_name");
                    }
                    if (c.phone() != null && c.phone().length() <= 50 && (c.authoritative() || existing == null || existing.getPhone().isEmpty())) {
                        contact.setPhone(c.phone());
                        paths.add("phone");
                    }
                    if (c.consent() != null) {
                        Consent.Builder consent = Consent.newBuilder().setState(switch (c.consent()) {
                            case "granted" -> ConsentState.CONSENT_STATE_GRANTED;
                            case "withdrawn" -> ConsentState.CONSENT_STATE_WITHDRAWN;
                            default -> ConsentState.CONSENT_STATE_DENIED;
                        }).setSource(c.consentSource());
                        if (c.consentTime() != null && !c.consentTime().isAfter(clock.instant())) {
                            consent.setUpdateTime(timestamp(c.consentTime()));
                        }
                        contact.setConsent(consent);
                        paths.add("consent");
                    }
                    if (existing != null && paths.isEmpty()) {
                        return Uni.createFrom().item(existing);
                    }
                    // With a mask, only the fields named change: what the CRM or the tracker set stays.
                    request.setContact(contact);
                    if (existing != null) {
                        request.setUpdateMask(FieldMask.newBuilder().addAllPaths(paths));
                    }
                    UpsertContactRequest built = request.build();
                    return calls.call(() -> contacts.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS).upsertContact(built))
                            .map(r -> r.getContact())
                            .onFailure(f -> firstTry && existing == null && f instanceof StatusRuntimeException e
                                    && e.getStatus().getCode() == Status.Code.ALREADY_EXISTS)
                            .recoverWithUni(f -> findOrCreate(c, false));
                });
    }

    /**
     * Adds the lines' products that the catalogue does not have yet (name, price, and the image
     * when the payload has one). Existing products are left alone: UpsertProducts replaces a product
     * entirely, and a payload's line knows less than a catalogue import. Best effort: the cart or
     * purchase does not wait for the catalogue, whatever happens to it.
     */
    private Uni<Void> catalogue(KnownSite site, List<Mapped.Line> lines, String currency) {
        if (lines.isEmpty() || lines.size() > 1000) {
            return Uni.createFrom().voidItem();
        }
        String storeId = site.store().getStoreId();
        BatchGetProductsRequest get = BatchGetProductsRequest.newBuilder().setStoreId(storeId)
                .addAllProductIds(lines.stream().map(Mapped.Line::productId).toList()).build();
        return calls.call(() -> catalog.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS).batchGetProducts(get))
                .chain(found -> {
                    List<Product> missing = new ArrayList<>();
                    for (Mapped.Line line : lines) {
                        if (found.getMissingProductIdsList().contains(line.productId())) {
                            Product.Builder product = Product.newBuilder().setStoreId(storeId).setProductId(line.productId())
                                    .setName(line.productName()).setUnitPrice(Moneys.toMoney(line.unitPrice(), currency));
                            if (line.imageUrl() != null) {
                                product.setImageUrl(line.imageUrl()).setImageAltText(line.productName());
                            }
                            missing.add(product.build());
                        }
                    }
                    if (missing.isEmpty()) {
                        return Uni.createFrom().voidItem();
                    }
                    UpsertProductsRequest upsert = UpsertProductsRequest.newBuilder().setRequestId("wh-" + UUID.randomUUID())
                            .setStoreId(storeId).addAllProducts(missing).build();
                    return calls.call(() -> catalog.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS).upsertProducts(upsert))
                            .replaceWithVoid();
                })
                .onFailure().recoverWithUni(failure -> {
                    LOG.infof("catalogue of store %s not fed: %s", storeId, failure.toString());
                    return Uni.createFrom().voidItem();
                });
    }

    private Uni<Result> cart(String ids, Delivery d, KnownSite site, Mapped.CartSnapshot cart, String contactId) {
        if (site.site().getTrackingMode() == TrackingMode.TRACKING_MODE_TRANSACTIONS_ONLY) {
            return Uni.createFrom().item(Result.refused("CARTS_NOT_TRACKED", "the site tracks transactions only"));
        }
        String storeId = site.store().getStoreId();
        return store.cart(storeId, cart.cartId()).chain(known -> {
            if (known.isPresent() && known.get().sourceUpdateTime() != null && cart.sourceUpdateTime() != null
                    && cart.sourceUpdateTime().isBefore(known.get().sourceUpdateTime())) {
                return Uni.createFrom().item(Result.done("STALE_UPDATE", "a newer update of cart " + cart.cartId() + " was applied already"));
            }
            SubmitCartRequest.Builder submit = SubmitCartRequest.newBuilder().setStoreId(storeId).setSiteId(site.site().getSiteId())
                    .setSubmitId(ids + "-cart").setContactId(contactId);
            AddCartOperation.Builder add = AddCartOperation.newBuilder().setCartId(cart.cartId())
                    .setTotalPrice(Moneys.toMoney(cart.total(), cart.currency()));
            if (cart.status() != null) {
                add.setStatus(cart.status());
            }
            submit.addOperations(CartOperation.newBuilder().setAddCart(add));
            // A webhook is a snapshot: the lines replace whatever the cart had.
            submit.addOperations(CartOperation.newBuilder().setClearCart(ClearCartOperation.newBuilder().setCartId(cart.cartId())));
            for (Mapped.Line line : cart.lines()) {
                submit.addOperations(CartOperation.newBuilder().setAddCartItem(AddCartItemOperation.newBuilder().setCartId(cart.cartId())
                        .setProductId(line.productId()).setProductName(line.productName())
                        .setUnitPrice(Moneys.toMoney(line.unitPrice(), cart.currency())).setQuantity(line.quantity())));
            }
            SubmitCartRequest request = submit.build();
            return calls.call(() -> carts.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS).submitCart(request))
                    .chain(ignored -> store.rememberCart(storeId, cart.cartId(), d.siteId(), d.platform(), cart.returnUrl(),
                            cart.sourceUpdateTime(), clock.instant()))
                    .map(ignored -> Result.done("CART_UPDATED", "cart " + cart.cartId()))
                    .onFailure(PlatformApplier::refusal).recoverWithItem(failure -> {
                        String reason = reason((StatusRuntimeException) failure);
                        if (CART_CONVERTED.equals(reason)) {
                            // The order came first: the cart is closed and must stay closed. Nothing is left to do.
                            return Result.done("CART_ALREADY_CONVERTED", describe(failure));
                        }
                        return Result.refused(reason, describe(failure));
                    });
        });
    }

    private Uni<Result> purchase(String ids, KnownSite site, Mapped.Purchase p, String contactId) {
        if (p.lines().isEmpty()) {
            return Uni.createFrom().item(Result.refused(Payloads.INVALID_PAYLOAD, "order " + p.transactionId() + " has no line items"));
        }
        Transaction.Builder tx = Transaction.newBuilder().setStoreId(site.store().getStoreId()).setSiteId(site.site().getSiteId())
                .setTransactionId(p.transactionId()).setContactId(contactId).setAffiliation(p.affiliation())
                .setCurrencyCode(p.currency())
                .setRevenue(Moneys.toMoney(p.revenue(), p.currency()))
                .setTax(Moneys.toMoney(p.tax(), p.currency()))
                .setShipping(Moneys.toMoney(p.shipping(), p.currency()));
        if (p.cartId() != null) {
            tx.setCartId(p.cartId());
        }
        if (p.occurTime() != null && !p.occurTime().isAfter(clock.instant())) {
            tx.setOccurTime(timestamp(p.occurTime()));
        }
        for (Mapped.Line line : p.lines()) {
            tx.addItems(TransactionItem.newBuilder().setProductId(line.productId()).setProductName(line.productName())
                    .setUnitPrice(Moneys.toMoney(line.unitPrice(), p.currency()))
                    .setTotalPrice(Moneys.toMoney(line.total(), p.currency())).setQuantity(line.quantity()));
        }
        RecordTransactionRequest request = RecordTransactionRequest.newBuilder().setTransaction(tx).build();
        return calls.call(() -> transactions.withDeadlineAfter(calls.deadlineMillis(), TimeUnit.MILLISECONDS).recordTransaction(request))
                .map(r -> Result.done(r.getAlreadyRecorded() ? "TRANSACTION_ALREADY_RECORDED" : "TRANSACTION_RECORDED",
                        "transaction " + p.transactionId() + (p.cartId() == null ? "" : " converting cart " + p.cartId())))
                .onFailure(PlatformApplier::refusal).recoverWithItem(failure ->
                        Result.refused(reason((StatusRuntimeException) failure), describe(failure)));
    }

    /** A service refused the request itself: sending it again cannot help. */
    static boolean refusal(Throwable failure) {
        if (!(failure instanceof StatusRuntimeException e)) {
            return false;
        }
        Status.Code code = e.getStatus().getCode();
        return code == Status.Code.INVALID_ARGUMENT || code == Status.Code.FAILED_PRECONDITION
                || code == Status.Code.ALREADY_EXISTS || code == Status.Code.OUT_OF_RANGE || code == Status.Code.NOT_FOUND;
    }

    /** Anything else (a service down, a deadline, a bug) is tried again later. */
    private static Result failure(Throwable failure) {
        if (!(failure instanceof StatusRuntimeException)) {
            LOG.warnf(failure, "a webhook could not be applied");
        }
        return Result.retryAfter(failure);
    }

    /** The ErrorInfo reason of a service's refusal, else its status code. */
    static String reason(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status != null) {
            for (com.google.protobuf.Any detail : status.getDetailsList()) {
                if (detail.is(ErrorInfo.class)) {
                    try {
                        return detail.unpack(ErrorInfo.class).getReason();
                    } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
                        // An unreadable detail: the status code says enough.
                    }
                }
            }
        }
        return e.getStatus().getCode().name();
    }

    private static String describe(Throwable failure) {
        if (failure instanceof StatusRuntimeException e && e.getStatus().getDescription() != null) {
            return e.getStatus().getDescription();
        }
        return failure.toString();
    }

    private static Timestamp timestamp(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
