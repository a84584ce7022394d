package org.relance.segment.grpc;

import io.quarkus.grpc.GrpcClient;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.relance.api.cart.v1.EraseContactCartsRequest;
import org.relance.api.cart.v1.MutinyCartServiceGrpc;
import org.relance.api.segment.v1.CartErasure;
import org.relance.api.segment.v1.EraseContactRequest;
import org.relance.api.segment.v1.EraseContactResponse;
import org.relance.api.segment.v1.FindContactByEmailRequest;
import org.relance.api.segment.v1.FindContactByEmailResponse;
import org.relance.api.segment.v1.GetContactRequest;
import org.relance.api.segment.v1.GetContactResponse;
import org.relance.api.segment.v1.IdentifyVisitorRequest;
import org.relance.api.segment.v1.IdentifyVisitorResponse;
import org.relance.api.segment.v1.MutinyContactServiceGrpc;
import org.relance.api.segment.v1.SegmentErasure;
import org.relance.api.segment.v1.Suppression;
import org.relance.api.segment.v1.TransactionErasure;
import org.relance.api.segment.v1.UpsertContactRequest;
import org.relance.api.segment.v1.UpsertContactResponse;
import org.relance.api.segment.v1.VisitorLink;
import org.relance.api.transaction.v1.EraseContactTransactionsRequest;
import org.relance.api.transaction.v1.MutinyTransactionServiceGrpc;
import org.relance.kit.error.NotFoundException;
import org.relance.kit.error.Violations;
import org.relance.segment.domain.Contact;
import org.relance.segment.persistence.ContactRepository;
import org.relance.segment.persistence.StoreCheck;

/** ContactService over gRPC: contacts, identification of visitors, erasure across services. */
@GrpcService
public class ContactGrpcService extends MutinyContactServiceGrpc.ContactServiceImplBase {
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");

    private final ContactRepository contacts;
    private final org.relance.segment.persistence.InsightRepository insights;
    private final StoreCheck stores;
    private final MutinyCartServiceGrpc.MutinyCartServiceStub carts;
    private final MutinyTransactionServiceGrpc.MutinyTransactionServiceStub transactions;

    public ContactGrpcService(ContactRepository contacts, org.relance.segment.persistence.InsightRepository insights, StoreCheck stores,
                              @GrpcClient("cart") MutinyCartServiceGrpc.MutinyCartServiceStub carts,
                              @GrpcClient("transaction") MutinyTransactionServiceGrpc.MutinyTransactionServiceStub transactions) {
        this.contacts = contacts;
        this.insights = insights;
        this.stores = stores;
        this.carts = carts;
        this.transactions = transactions;
    }

    private static void checkEmail(String field, String email, Violations v) {
        if (email != null && !email.isEmpty()) {
            v.optionalText(field, email, 320);
            if (!EMAIL.matcher(email.strip()).matches()) {
                v.add(field, "is not an e-mail address");
            }
        }
    }

    @Override
    public Uni<UpsertContactResponse> upsertContact(UpsertContactRequest request) {
        var c = request.getContact();
        Violations v = new Violations();
        v.optionalText("request_id", request.getRequestId(), 100);
        if (c.getContactId().isEmpty() && c.getEmail().isEmpty()) {
            v.add("contact.contact_id", "give contact_id, or an email to find or create the contact by");
        }
        v.optionalText("contact.contact_id", c.getContactId(), 200);
        checkEmail("contact.email", c.getEmail(), v);
        v.optionalText("contact.first_name", c.getFirstName(), 200);
        v.optionalText("contact.last_name", c.getLastName(), 200);
        v.optionalText("contact.phone", c.getPhone(), 50);
        v.optionalText("contact.company", c.getCompany(), 200);
        v.optionalText("contact.consent.source", c.getConsent().getSource(), 200);
        if (c.getConsent().getStateValue() < 0 || c.getConsent().getStateValue() > 3) {
            v.add("contact.consent.state", "is not a consent state");
        }
        List<String> allowed = List.of("email", "first_name", "last_name", "phone", "company", "consent");
        for (String path : request.getUpdateMask().getPathsList()) {
            if (!allowed.contains(path)) {
                v.add("update_mask", "cannot change " + path + "; allowed: " + String.join(", ", allowed));
            }
        }
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        Contact incoming = ContactMapper.toDomain(c);
        // Without a mask, every field given (not empty) is set and the others are kept (the proto's rule).
        List<String> paths = new java.util.ArrayList<>(request.getUpdateMask().getPathsList());
        if (paths.isEmpty()) {
            if (!c.getEmail().isEmpty()) {
                paths.add("email");
            }
            if (!c.getFirstName().isEmpty()) {
                paths.add("first_name");
            }
            if (!c.getLastName().isEmpty()) {
                paths.add("last_name");
            }
            if (!c.getPhone().isEmpty()) {
                paths.add("phone");
            }
            if (!c.getCompany().isEmpty()) {
                paths.add("company");
            }
            if (c.getConsent().getStateValue() != 0) {
                paths.add("consent");
            }
        }
        // With a contact id, that contact; with none, the one with this e-mail, else a new one. A
        // repeat of the request finds what the first one wrote, so it changes nothing more.
        Uni<Contact> existing = (!c.getContactId().isEmpty() ? contacts.get(c.getContactId()) : contacts.findByEmail(c.getEmail()))
                .onFailure(NotFoundException.class).recoverWithNull();
        Uni<Contact> merged = existing.map(old -> old == null
                ? (c.getContactId().isEmpty() ? new Contact("c-" + java.util.UUID.randomUUID(), incoming.email(), incoming.firstName(),
                        incoming.lastName(), incoming.phone(), incoming.company(), incoming.consentState(), incoming.consentSource(),
                        incoming.consentTime(), null, null) : incoming)
                : new Contact(old.contactId(),
                        paths.contains("email") ? incoming.email() : old.email(),
                        paths.contains("first_name") ? incoming.firstName() : old.firstName(),
                        paths.contains("last_name") ? incoming.lastName() : old.lastName(),
                        paths.contains("phone") ? incoming.phone() : old.phone(),
                        paths.contains("company") ? incoming.company() : old.company(),
                        paths.contains("consent") ? incoming.consentState() : old.consentState(),
                        paths.contains("consent") ? incoming.consentSource() : old.consentSource(),
                        paths.contains("consent") ? incoming.consentTime() : old.consentTime(), null, null));
        return merged.chain(contacts::upsert).map(e -> UpsertContactResponse.newBuilder()
                .setContact(ContactMapper.toProto(e.getKey())).setCreated(e.getValue()).build());
    }

    @Override
    public Uni<GetContactResponse> getContact(GetContactRequest request) {
        Violations v = new Violations();
        v.requireText("contact_id", request.getContactId(), 200);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        return contacts.get(request.getContactId()).chain(contact -> contacts.visitors(contact.contactId()).map(links -> {
            GetContactResponse.Builder b = GetContactResponse.newBuilder().setContact(ContactMapper.toProto(contact));
            links.forEach(l -> b.addVisitorLinks(VisitorLink.newBuilder().setStoreId(l.storeId()).setVisitorId(l.visitorId())
                    .setLinkTime(ContactMapper.ts(l.linkTime()))));
            return b.build();
        }));
    }

    @Override
    public Uni<FindContactByEmailResponse> findContactByEmail(FindContactByEmailRequest request) {
        Violations v = new Violations();
        v.requireText("email", request.getEmail(), 320);
        checkEmail("email", request.getEmail(), v);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        return contacts.findByEmail(request.getEmail())
                .map(c -> FindContactByEmailResponse.newBuilder().setContact(ContactMapper.toProto(c)).build());
    }

    @Override
    public Uni<IdentifyVisitorResponse> identifyVisitor(IdentifyVisitorRequest request) {
        Violations v = new Violations();
        v.requireText("store_id", request.getStoreId(), 63);
        v.requireText("visitor_id", request.getVisitorId(), 200);
        String contactId = request.hasContactId() ? request.getContactId() : null;
        String email = request.hasEmail() ? request.getEmail() : null;
        if (contactId == null && email == null) {
            v.add("identity", "give contact_id or email");
        }
        if (contactId != null) {
            v.requireText("contact_id", contactId, 200);
        }
        if (email != null) {
            v.requireText("email", email, 320);
            checkEmail("email", email, v);
        }
        v.optionalText("first_name", request.getFirstName(), 200);
        v.optionalText("last_name", request.getLastName(), 200);
        java.util.Map<String, String> named = new java.util.LinkedHashMap<>();
        if (!request.getStoreId().isEmpty()) {
            named.put(request.getStoreId(), "store_id");
        }
        return stores.check(named, v)
                .chain(() -> {
                    v.throwIfAny();
                    return contacts.identify(request.getStoreId(), request.getVisitorId(), contactId, email,
                            org.relance.kit.grpc.ProtoValues.emptyToNull(request.getFirstName()),
                            org.relance.kit.grpc.ProtoValues.emptyToNull(request.getLastName()));
                })
                .chain(entry -> {
                    String id = entry.getKey().contactId();
                    return carts.withDeadlineAfter(10, TimeUnit.SECONDS).linkVisitor(org.relance.api.cart.v1.LinkVisitorRequest.newBuilder()
                                    .setStoreId(request.getStoreId()).setVisitorId(request.getVisitorId()).setContactId(id).build())
                            .chain(linkedCarts -> transactions.withDeadlineAfter(10, TimeUnit.SECONDS).linkVisitor(
                                            org.relance.api.transaction.v1.LinkVisitorRequest.newBuilder().setStoreId(request.getStoreId())
                                                    .setVisitorId(request.getVisitorId()).setContactId(id).build())
                                    .map(linkedTransactions -> IdentifyVisitorResponse.newBuilder()
                                            .setContact(ContactMapper.toProto(entry.getKey()))
                                            .setContactCreated(entry.getValue())
                                            .setLinkedCartCount(linkedCarts.getLinkedCartCount())
                                            .setLinkedTransactionCount(linkedTransactions.getLinkedTransactionCount())
                                            .build()));
                });
    }

    @Override
    public Uni<EraseContactResponse> eraseContact(EraseContactRequest request) {
        Violations v = new Violations();
        if (request.getContactId().isEmpty() == request.getEmail().isEmpty()) {
            v.add("contact_id", "give exactly one of contact_id and email");
        }
        v.optionalText("contact_id", request.getContactId(), 200);
        checkEmail("email", request.getEmail(), v);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        Uni<Contact> target = !request.getContactId().isEmpty()
                ? contacts.get(request.getContactId()).onFailure(NotFoundException.class)
                .recoverWithItem(new Contact(request.getContactId(), null, null, null, null, null, 0, null, null, null, null))
                : contacts.findByEmail(request.getEmail());
        // Local suppression first: from then on nothing recreates the contact, even if a service is away.
        return target.chain(contact -> contacts.eraseLocal(contact.contactId(), contact.email())
                .chain(local -> carts.withDeadlineAfter(30, TimeUnit.SECONDS).eraseContactCarts(
                                EraseContactCartsRequest.newBuilder().setContactId(contact.contactId()).build())
                        .chain(cart -> transactions.withDeadlineAfter(30, TimeUnit.SECONDS).eraseContactTransactions(
                                        EraseContactTransactionsRequest.newBuilder().setContactId(contact.contactId()).build())
                                // Facts written from events that were in flight during the erasure go too.
                                .chain(tx -> contacts.eraseLocal(contact.contactId(), contact.email())
                                        .map(late -> EraseContactResponse.newBuilder()
                                                .setCart(CartErasure.newBuilder().setDeletedCartCount(cart.getDeletedCartCount())
                                                        .setDeletedVisitorCount(cart.getDeletedVisitorCount())
                                                        .setDeletedPageViewCount(cart.getDeletedPageViewCount()))
                                                .setTransaction(TransactionErasure.newBuilder()
                                                        .setDeletedTransactionCount(tx.getDeletedTransactionCount())
                                                        .setDeletedItemCount(tx.getDeletedItemCount()))
                                                .setSegment(SegmentErasure.newBuilder().setDeletedContactCount(local.contacts() + late.contacts())
                                                        .setDeletedFactCount(local.facts() + late.facts())
                                                        .setDeletedVisitorCount(local.visitors() + late.visitors())
                                                        .setDeletedPageViewCount(local.pageViews() + late.pageViews()))
                                                .setSuppression(Suppression.newBuilder().setContactId(contact.contactId())
                                                        .setEmailSha256(local.emailHash() == null ? "" : local.emailHash())
                                                        .setCreateTime(ContactMapper.ts(local.time())))
                                                .build())))));
    }

    @Override
    public Uni<org.relance.api.segment.v1.GetContactProfileResponse> getContactProfile(
            org.relance.api.segment.v1.GetContactProfileRequest request) {
        Violations v = new Violations();
        v.requireText("contact_id", request.getContactId(), 200);
        v.optionalText("store_id", request.getStoreId(), 63);
        if (request.getMaxOrdersPerStore() < 0 || request.getMaxOrdersPerStore() > 1000) {
            v.add("max_orders_per_store", "must be between 1 and 1000 (0 for the default 50)");
        }
        for (int i = 0; i < request.getOrderStatusesCount(); i++) {
            if (request.getOrderStatusesValue(i) < 1 || request.getOrderStatusesValue(i) > 4) {
                v.add("order_statuses[" + i + "]", "is not an order status");
            }
        }
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        int max = request.getMaxOrdersPerStore() == 0 ? 50 : request.getMaxOrdersPerStore();
        java.util.Set<org.relance.api.segment.v1.OrderStatus> statuses = java.util.EnumSet.noneOf(org.relance.api.segment.v1.OrderStatus.class);
        statuses.addAll(request.getOrderStatusesList());
        String storeFilter = request.getStoreId().isEmpty() ? null : request.getStoreId();
        return contacts.get(request.getContactId()).chain(contact -> insights.purchases(contact.contactId())
                .chain(purchases -> insights.openCarts(contact.contactId())
                        .chain(carts -> insights.lastCarts(contact.contactId())
                                .map(lasts -> org.relance.api.segment.v1.GetContactProfileResponse.newBuilder()
                                        .setContact(ContactMapper.toProto(contact))
                                        .addAllStores(ProfileMapper.profile(purchases, carts, lasts, storeFilter, statuses, max))
                                        .build()))));
    }
}
