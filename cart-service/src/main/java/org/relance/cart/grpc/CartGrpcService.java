package org.relance.cart.grpc;

import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import org.relance.api.cart.v1.ConvertCartRequest;
import org.relance.api.cart.v1.ConvertCartResponse;
import org.relance.api.cart.v1.EraseContactCartsRequest;
import org.relance.api.cart.v1.EraseContactCartsResponse;
import org.relance.api.cart.v1.GetCartRequest;
import org.relance.api.cart.v1.GetCartResponse;
import org.relance.api.cart.v1.LinkVisitorRequest;
import org.relance.api.cart.v1.LinkVisitorResponse;
import org.relance.api.cart.v1.ListCartsRequest;
import org.relance.api.cart.v1.ListCartsResponse;
import org.relance.api.cart.v1.MutinyCartServiceGrpc;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.SubmitCartResponse;
import org.relance.api.cart.v1.WatchCartEventsRequest;
import org.relance.api.cart.v1.WatchCartEventsResponse;
import org.relance.cart.domain.SubmitValidator;
import org.relance.cart.persistence.CartEventLog;
import org.relance.cart.persistence.CartRepository;
import org.relance.cart.persistence.SubmitWriter;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.ProtoValues;

import static org.relance.kit.grpc.ProtoValues.emptyToNull;

/** CartService over gRPC: maps, validates and delegates. */
@GrpcService
public class CartGrpcService extends MutinyCartServiceGrpc.CartServiceImplBase {
    private static final int LIST_DEFAULT = 50;
    private static final int LIST_MAX = 500;

    private final SubmitWriter writer;
    private final CartRepository carts;
    private final CartEventLog events;

    public CartGrpcService(SubmitWriter writer, CartRepository carts, CartEventLog events) {
        this.writer = writer;
        this.carts = carts;
        this.events = events;
    }

    @Override
    public Uni<SubmitCartResponse> submitCart(SubmitCartRequest request) {
        return Uni.createFrom().item(() -> CartProtoMapper.toSubmit(request))
                .chain(writer::apply)
                .map(CartProtoMapper::toProto);
    }

    @Override
    public Uni<GetCartResponse> getCart(GetCartRequest request) {
        return Uni.createFrom().item(() -> {
                    Violations v = new Violations();
                    v.requireText("store_id", request.getStoreId(), SubmitValidator.ID_MAX);
                    v.requireText("cart_id", request.getCartId(), SubmitValidator.TEXT_MAX);
                    v.throwIfAny();
                    return request;
                })
                .chain(r -> carts.get(r.getStoreId(), r.getCartId()))
                .map(cart -> GetCartResponse.newBuilder().setCart(CartProtoMapper.toProto(cart)).build());
    }

    @Override
    public Uni<ListCartsResponse> listCarts(ListCartsRequest request) {
        Violations v = new Violations();
        boolean byContact = !request.getContactId().isEmpty();
        boolean byVisitor = !request.getVisitorId().isEmpty();
        if (byContact == byVisitor) {
            v.add("contact_id", "exactly one of contact_id and visitor_id is required");
        }
        v.optionalText("contact_id", request.getContactId(), SubmitValidator.PERSON_ID_MAX);
        v.optionalText("visitor_id", request.getVisitorId(), SubmitValidator.PERSON_ID_MAX);
        v.optionalText("store_id", request.getStoreId(), SubmitValidator.ID_MAX);
        if (request.getPageSize() < 0 || request.getPageSize() > LIST_MAX) {
            v.add("page_size", "must be between 1 and " + LIST_MAX + " (0 for the default " + LIST_DEFAULT + ")");
        }
        int offset = ProtoValues.offset(request.getPageToken(), v);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        int size = request.getPageSize() == 0 ? LIST_DEFAULT : request.getPageSize();
        return carts.list(emptyToNull(request.getStoreId()), emptyToNull(request.getContactId()),
                        emptyToNull(request.getVisitorId()), size + 1, offset)
                .map(list -> {
                    ListCartsResponse.Builder b = ListCartsResponse.newBuilder();
                    list.stream().limit(size).forEach(cart -> b.addCarts(CartProtoMapper.toProto(cart)));
                    if (list.size() > size) {
                        b.setNextPageToken(ProtoValues.offsetToken(offset + size));
                    }
                    return b.build();
                });
    }

    @Override
    public Uni<LinkVisitorResponse> linkVisitor(LinkVisitorRequest request) {
        return Uni.createFrom().item(() -> {
                    Violations v = new Violations();
                    v.requireText("store_id", request.getStoreId(), SubmitValidator.ID_MAX);
                    v.requireText("visitor_id", request.getVisitorId(), SubmitValidator.PERSON_ID_MAX);
                    v.requireText("contact_id", request.getContactId(), SubmitValidator.PERSON_ID_MAX);
                    v.throwIfAny();
                    return request;
                })
                .chain(r -> carts.link(r.getStoreId(), r.getVisitorId(), r.getContactId()))
                .map(n -> LinkVisitorResponse.newBuilder().setLinkedCartCount(n).build());
    }

    @Override
    public Uni<ConvertCartResponse> convertCart(ConvertCartRequest request) {
        return Uni.createFrom().item(() -> {
                    Violations v = new Violations();
                    v.requireText("store_id", request.getStoreId(), SubmitValidator.ID_MAX);
                    v.requireText("cart_id", request.getCartId(), SubmitValidator.TEXT_MAX);
                    v.requireText("transaction_id", request.getTransactionId(), SubmitValidator.TEXT_MAX);
                    v.optionalText("contact_id", request.getContactId(), SubmitValidator.PERSON_ID_MAX);
                    if (request.hasConvertTime()) {
                        ProtoValues.instant(request.getConvertTime(), "convert_time", v);
                    }
                    v.throwIfAny();
                    return request;
                })
                .chain(r -> carts.convert(r.getStoreId(), r.getCartId(), r.getTransactionId(),
                        r.hasConvertTime() ? ProtoValues.instant(r.getConvertTime()) : null, emptyToNull(r.getContactId())))
                .map(conversion -> ConvertCartResponse.newBuilder()
                        .setOutcome(CartProtoMapper.toProto(conversion.outcome()))
                        .setCart(CartProtoMapper.toProto(conversion.cart()))
                        .build());
    }

    @Override
    public Uni<EraseContactCartsResponse> eraseContactCarts(EraseContactCartsRequest request) {
        return Uni.createFrom().item(() -> {
                    Violations v = new Violations();
                    v.requireText("contact_id", request.getContactId(), SubmitValidator.PERSON_ID_MAX);
                    v.throwIfAny();
                    return request;
                })
                .chain(r -> carts.erase(r.getContactId()))
                .map(e -> EraseContactCartsResponse.newBuilder()
                        .setDeletedCartCount(e.carts())
                        .setDeletedVisitorCount(e.visitors())
                        .setDeletedPageViewCount(e.pageViews())
                        .build());
    }

    @Override
    public Multi<WatchCartEventsResponse> watchCartEvents(WatchCartEventsRequest request) {
        Violations v = new Violations();
        if (request.getAfterSequence() < 0) {
            v.add("after_sequence", "must not be negative");
        }
        v.optionalText("store_id", request.getStoreId(), SubmitValidator.ID_MAX);
        if (!v.isEmpty()) {
            return Multi.createFrom().failure(v.exception());
        }
        return events.watch(request.getAfterSequence(), emptyToNull(request.getStoreId()))
                .map(e -> WatchCartEventsResponse.newBuilder().setEvent(CartProtoMapper.toProto(e)).build());
    }
}
