package org.relance.cart.grpc;

import java.math.BigDecimal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.relance.api.cart.v1.AddCartItemOperation;
import org.relance.api.cart.v1.AddCartOperation;
import org.relance.api.cart.v1.CartEventType;
import org.relance.api.cart.v1.CartOperation;
import org.relance.api.cart.v1.CartState;
import org.relance.api.cart.v1.ConversionOutcome;
import org.relance.api.cart.v1.SubmitCartRequest;
import org.relance.api.cart.v1.SubmitCartResponse;
import org.relance.api.cart.v1.UpdateCartItemOperation;
import org.relance.api.cart.v1.UpdateCartOperation;
import org.relance.api.common.v1.Money;
import org.relance.cart.domain.Cart;
import org.relance.cart.domain.CartEvent;
import org.relance.cart.domain.CartItem;
import org.relance.cart.domain.Submit;
import org.relance.cart.domain.SubmitResult;
import org.relance.cart.domain.SubmitValidator;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.Moneys;

import static org.relance.kit.grpc.ProtoValues.emptyToNull;
import static org.relance.kit.grpc.ProtoValues.nullToEmpty;
import static org.relance.kit.grpc.ProtoValues.timestamp;
import static org.relance.kit.grpc.ProtoValues.instant;

/** Proto messages to and from the cart domain. */
final class CartProtoMapper {
    private CartProtoMapper() {
    }

    /** The submit of a request, validated: every violation is reported at once. */
    static Submit toSubmit(SubmitCartRequest request) {
        Violations v = new Violations();
        Map<String, String> currencies = new LinkedHashMap<>();
        List<org.relance.cart.domain.CartOperation> ops = new ArrayList<>();
        for (int i = 0; i < request.getOperationsCount(); i++) {
            ops.add(toOperation(request.getOperations(i), "operations[" + i + "].", v, currencies));
        }
        Submit submit = new Submit(request.getStoreId(), request.getSubmitId(), emptyToNull(request.getSiteId()),
                emptyToNull(request.getVisitorId()), emptyToNull(request.getContactId()), ops, fingerprint(request),
                currencies);
        SubmitValidator.check(submit, v);
        v.throwIfAny();
        return submit;
    }

    private static org.relance.cart.domain.CartOperation toOperation(CartOperation op, String p, Violations v,
                                                                     Map<String, String> currencies) {
        switch (op.getOperationCase()) {
            case ADD_CART: {
                AddCartOperation a = op.getAddCart();
                return new org.relance.cart.domain.CartOperation.AddCart(a.getCartId(),
                        a.hasStatus() ? a.getStatus() : null,
                        a.hasTotalPrice() ? amount(p + "total_price", a.getTotalPrice(), v, currencies) : null);
            }
            case UPDATE_CART: {
                UpdateCartOperation u = op.getUpdateCart();
                return new org.relance.cart.domain.CartOperation.UpdateCart(u.getCartId(),
                        u.hasStatus() ? u.getStatus() : null,
                        u.hasTotalPrice() ? amount(p + "total_price", u.getTotalPrice(), v, currencies) : null);
            }
            case ADD_CART_ITEM: {
                AddCartItemOperation a = op.getAddCartItem();
                return new org.relance.cart.domain.CartOperation.AddCartItem(a.getCartId(), a.getProductId(),
                        a.getProductName(), a.hasCategory() ? a.getCategory() : null,
                        a.hasCategoryId() ? a.getCategoryId() : null,
                        a.hasUnitPrice() ? amount(p + "unit_price", a.getUnitPrice(), v, currencies) : null, a.getQuantity());
            }
            case UPDATE_CART_ITEM: {
                UpdateCartItemOperation u = op.getUpdateCartItem();
                return new org.relance.cart.domain.CartOperation.UpdateCartItem(u.getCartId(), u.getProductId(),
                        u.hasProductName() ? u.getProductName() : null, u.hasCategory() ? u.getCategory() : null,
                        u.hasCategoryId() ? u.getCategoryId() : null,
                        u.hasUnitPrice() ? amount(p + "unit_price", u.getUnitPrice(), v, currencies) : null,
                        u.hasQuantity() ? u.getQuantity() : null);
            }
            case REMOVE_CART_ITEM:
                return new org.relance.cart.domain.CartOperation.RemoveCartItem(op.getRemoveCartItem().getCartId(),
                        op.getRemoveCartItem().getProductId());
            case CLEAR_CART:
                return new org.relance.cart.domain.CartOperation.ClearCart(op.getClearCart().getCartId());
            default:
                return null;
        }
    }

    private static BigDecimal amount(String field, Money money, Violations v, Map<String, String> currencies) {
        if (!money.getCurrencyCode().isEmpty()) {
            currencies.put(field + ".currency_code", money.getCurrencyCode());
        }
        return Moneys.toDecimal(field, money, v);
    }

    /** SHA-256 of everything but the submit id: a repeat must carry the same content. */
    private static byte[] fingerprint(SubmitCartRequest request) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(request.toBuilder().clearSubmitId().build().toByteArray());
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static SubmitCartResponse toProto(SubmitResult result) {
        return SubmitCartResponse.newBuilder()
                .setSubmitId(result.submitId())
                .addAllCartIds(result.cartIds())
                .setApplyTime(timestamp(result.applyTime()))
                .build();
    }

    static org.relance.api.cart.v1.Cart toProto(Cart cart) {
        org.relance.api.cart.v1.Cart.Builder b = org.relance.api.cart.v1.Cart.newBuilder()
                .setStoreId(cart.storeId())
                .setCartId(cart.cartId())
                .setSiteId(nullToEmpty(cart.siteId()))
                .setVisitorId(nullToEmpty(cart.visitorId()))
                .setContactId(nullToEmpty(cart.contactId()))
                .setState(switch (cart.state()) {
                    case ACTIVE -> CartState.CART_STATE_ACTIVE;
                    case ABANDONED -> CartState.CART_STATE_ABANDONED;
                    case CONVERTED -> CartState.CART_STATE_CONVERTED;
                })
                .setStatus(nullToEmpty(cart.status()))
                .setEpisode(cart.episode())
                .setRecovered(cart.recovered())
                .setSource(cart.source() == org.relance.cart.domain.CartSource.URL
                        ? org.relance.api.cart.v1.CartSource.CART_SOURCE_URL : org.relance.api.cart.v1.CartSource.CART_SOURCE_CALLS)
                .setTransactionId(nullToEmpty(cart.transactionId()))
                .setCreateTime(timestamp(cart.createTime()))
                .setUpdateTime(timestamp(cart.updateTime()));
        if (cart.totalPrice() != null) {
            b.setTotalPrice(Moneys.toMoney(cart.totalPrice(), cart.currencyCode()));
        }
        for (CartItem item : cart.items()) {
            b.addItems(org.relance.api.cart.v1.CartItem.newBuilder()
                    .setProductId(item.productId())
                    .setProductName(item.productName())
                    .setCategory(nullToEmpty(item.category()))
                    .setCategoryId(nullToEmpty(item.categoryId()))
                    .setUnitPrice(Moneys.toMoney(item.unitPrice(), cart.currencyCode()))
                    .setQuantity(item.quantity()));
        }
        if (cart.abandonTime() != null) {
            b.setAbandonTime(timestamp(cart.abandonTime()));
        }
        if (cart.convertTime() != null) {
            b.setConvertTime(timestamp(cart.convertTime()));
        }
        return b.build();
    }

    static org.relance.api.cart.v1.CartEvent toProto(CartEvent event) {
        return org.relance.api.cart.v1.CartEvent.newBuilder()
                .setSequence(event.sequence())
                .setType(CartEventType.forNumber(event.type().code()))
                .setOccurTime(timestamp(event.occurTime()))
                .setCart(toProto(event.cart()))
                .build();
    }

    static ConversionOutcome toProto(org.relance.cart.domain.ConversionOutcome outcome) {
        return switch (outcome) {
            case CONVERTED -> ConversionOutcome.CONVERSION_OUTCOME_CONVERTED;
            case RECOVERED -> ConversionOutcome.CONVERSION_OUTCOME_RECOVERED;
            case UNTRACKED -> ConversionOutcome.CONVERSION_OUTCOME_UNTRACKED;
        };
    }






}
