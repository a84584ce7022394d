package org.relance.segment.notifications;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.relance.api.cart.v1.Store;
import org.relance.api.segment.v1.NotificationPayload;
import org.relance.api.segment.v1.PayloadContact;
import org.relance.api.segment.v1.PayloadItem;
import org.relance.api.transaction.v1.BatchGetProductsRequest;
import org.relance.api.transaction.v1.GetCategoryRequest;
import org.relance.api.transaction.v1.MutinyCatalogServiceGrpc;
import org.relance.api.transaction.v1.Product;
import org.relance.kit.grpc.Moneys;
import org.relance.kit.grpc.ProtoValues;
import org.relance.kit.links.LinkTokens;
import org.relance.segment.triggers.CartFact;

/**
 * Builds the v1 payload of a notification: the contact, the store, a signed restore link through
 * the edge, and the cart's items enriched from the transaction service's catalogue (product page,
 * image, alt text, category name). Built once per notification and stored, so every attempt and
 * every redelivery sends the same body.
 */
@Singleton
public class PayloadBuilder {
    private final MutinyCatalogServiceGrpc.MutinyCatalogServiceStub catalogue;
    private final LinkSigner links;
    private final NotificationConfig config;

    public PayloadBuilder(@GrpcClient("transaction") MutinyCatalogServiceGrpc.MutinyCatalogServiceStub catalogue, LinkSigner links,
                          NotificationConfig config) {
        this.catalogue = catalogue;
        this.links = links;
        this.config = config;
    }

    public Uni<NotificationPayload> build(Notification n, CartFact cart, Store store, NotificationRepository.Recipient who, Instant now) {
        List<String> ids = cart.items().stream().map(CartFact.Item::productId).distinct().toList();
        Uni<Map<String, Product>> products = ids.isEmpty() ? Uni.createFrom().item(Map.of())
                : catalogue.withDeadlineAfter(5, TimeUnit.SECONDS)
                .batchGetProducts(BatchGetProductsRequest.newBuilder().setStoreId(cart.storeId()).addAllProductIds(ids).build())
                .map(r -> {
                    Map<String, Product> byId = new LinkedHashMap<>();
                    r.getProductsList().forEach(p -> byId.put(p.getProductId(), p));
                    return byId;
                });
        return products.chain(byId -> categoryNames(cart, byId).map(categories -> {
            String currency = cart.currencyCode() == null || cart.currencyCode().isEmpty() ? store.getCurrencyCode() : cart.currencyCode();
            NotificationPayload.Builder b = NotificationPayload.newBuilder().setVersion("v1").setNotificationId(n.notificationId())
                    .setTriggerId(n.triggerId()).setStep(n.step())
                    .setContact(PayloadContact.newBuilder().setContactId(n.contactId()).setEmail(ProtoValues.nullToEmpty(who.email()))
                            .setFirstName(ProtoValues.nullToEmpty(who.firstName())).setLastName(ProtoValues.nullToEmpty(who.lastName())))
                    .setStoreId(cart.storeId()).setStoreName(store.getDisplayName()).setCurrencyCode(currency)
                    .setReturnToCartUrl(links.restoreUrl(cart, n.notificationId(), now.plus(config.linkLifetime())))
                    .setCartId(cart.cartId()).setCartStatus(ProtoValues.nullToEmpty(cart.status())).setEpisode(n.episode())
                    .setCreateTime(ProtoValues.timestamp(now));
            if (cart.total() != null) {
                b.setCartTotal(Moneys.toMoney(cart.total(), currency));
            }
            if (cart.abandonTime() != null) {
                b.setAbandonTime(ProtoValues.timestamp(cart.abandonTime()));
            }
            for (CartFact.Item item : cart.items()) {
                Product p = byId.get(item.productId());
                String categoryId = !item.categoryId().isEmpty() ? item.categoryId() : p == null ? "" : p.getCategoryId();
                String category = !item.category().isEmpty() ? item.category() : categories.getOrDefault(categoryId, "");
                b.addItems(PayloadItem.newBuilder().setProductId(item.productId())
                        .setProductName(p != null && !p.getName().isEmpty() ? p.getName() : item.productName())
                        .setQuantity(item.quantity()).setUnitPrice(Moneys.toMoney(item.unitPrice(), currency))
                        .setProductUrl(p == null ? "" : p.getUrl()).setImageUrl(p == null ? "" : p.getImageUrl())
                        .setImageAltText(p == null ? "" : p.getImageAltText()).setCategory(category).setCategoryId(categoryId));
            }
            return b.build();
        }));
    }

    /** Names of the catalogue categories of items that came without a category name. */
    private Uni<Map<String, String>> categoryNames(CartFact cart, Map<String, Product> products) {
        List<String> wanted = cart.items().stream().filter(i -> i.category().isEmpty())
                .map(i -> !i.categoryId().isEmpty() ? i.categoryId() : products.containsKey(i.productId()) ? products.get(i.productId()).getCategoryId() : "")
                .filter(id -> !id.isEmpty()).distinct().toList();
        if (wanted.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return Multi.createFrom().iterable(wanted)
                .onItem().transformToUniAndConcatenate(id -> catalogue.withDeadlineAfter(5, TimeUnit.SECONDS)
                        .getCategory(GetCategoryRequest.newBuilder().setStoreId(cart.storeId()).setCategoryId(id).build())
                        .map(r -> Map.entry(id, r.getCategory().getName()))
                        .onFailure(e -> e instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.NOT_FOUND)
                        .recoverWithItem(Map.entry(id, "")))
                .collect().asMap(Map.Entry::getKey, Map.Entry::getValue);
    }
}
