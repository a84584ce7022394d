package org.relance.segment.grpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.relance.api.segment.v1.LastAbandonedCart;
import org.relance.api.segment.v1.Order;
import org.relance.api.segment.v1.OrderItem;
import org.relance.api.segment.v1.OrderStatus;
import org.relance.api.segment.v1.StoreProfile;
import org.relance.kit.grpc.Moneys;
import org.relance.segment.persistence.InsightRepository;

/**
 * A contact's commerce profile (seed 003): per store, its orders and carts with their status —
 * completed, recovered (a purchase whose cart had been abandoned, marked "previously abandoned"),
 * abandoned, active — and its totals and last abandoned cart.
 */
final class ProfileMapper {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final int RECOVERED = 4;

    private ProfileMapper() {
    }

    static List<StoreProfile> profile(List<InsightRepository.PurchaseRow> purchases, List<InsightRepository.CartRow> carts,
                                      List<InsightRepository.LastCart> lasts, String storeFilter, Set<OrderStatus> statuses,
                                      int maxOrders) {
        Map<String, StoreProfile.Builder> stores = new LinkedHashMap<>();
        Map<String, Map<String, BigDecimal>> totals = new LinkedHashMap<>();
        for (InsightRepository.PurchaseRow p : purchases) {
            StoreProfile.Builder s = stores.computeIfAbsent(p.storeId(), id -> StoreProfile.newBuilder().setStoreId(id));
            s.setPurchaseCount(s.getPurchaseCount() + 1);
            if (!s.hasLastPurchaseTime()) {
                s.setLastPurchaseTime(ContactMapper.ts(p.occurTime()));
            }
            totals.computeIfAbsent(p.storeId(), k -> new LinkedHashMap<>()).merge(p.currencyCode(), p.revenue(), BigDecimal::add);
            boolean recovered = p.conversion() == RECOVERED;
            Order.Builder order = Order.newBuilder().setStoreId(p.storeId()).setTransactionId(p.transactionId())
                    .setCartId(p.cartId() == null ? "" : p.cartId())
                    .setStatus(recovered ? OrderStatus.ORDER_STATUS_RECOVERED : OrderStatus.ORDER_STATUS_COMPLETED)
                    .setPreviouslyAbandoned(recovered)
                    .setTotal(Moneys.toMoney(p.revenue(), p.currencyCode()))
                    .setCartStatus(p.cartStatus() == null ? "" : p.cartStatus())
                    .setOrderTime(ContactMapper.ts(p.occurTime()))
                    .addAllItems(items(p.itemsJson(), p.currencyCode()));
            add(s, order.build(), statuses, maxOrders);
        }
        for (InsightRepository.CartRow c : carts) {
            StoreProfile.Builder s = stores.computeIfAbsent(c.storeId(), id -> StoreProfile.newBuilder().setStoreId(id));
            if (c.state() == 2) {
                s.setAbandonedCartCount(s.getAbandonedCartCount() + 1);
            }
            Order.Builder order = Order.newBuilder().setStoreId(c.storeId()).setCartId(c.cartId())
                    .setStatus(c.state() == 2 ? OrderStatus.ORDER_STATUS_ABANDONED : OrderStatus.ORDER_STATUS_ACTIVE)
                    // The episode counts abandonments: an abandoned cart in its first episode was not abandoned *before*.
                    .setPreviouslyAbandoned(c.state() == 2 ? c.episode() > 1 : c.episode() > 0)
                    .setCartStatus(c.status() == null ? "" : c.status())
                    .setOrderTime(ContactMapper.ts(c.updateTime()))
                    .addAllItems(items(c.itemsJson(), c.currencyCode()));
            if (c.total() != null) {
                order.setTotal(Moneys.toMoney(c.total(), c.currencyCode()));
            }
            add(s, order.build(), statuses, maxOrders);
        }
        for (InsightRepository.LastCart l : lasts) {
            StoreProfile.Builder s = stores.computeIfAbsent(l.scope(), id -> StoreProfile.newBuilder().setStoreId(id));
            s.setRecoveredCartCount(l.recoveredCount());
            if (l.cartId() != null) {
                LastAbandonedCart.Builder last = LastAbandonedCart.newBuilder().setCartId(l.cartId())
                        .setProductCount(l.productCount()).setStatus(l.status() == null ? "" : l.status());
                if (l.total() != null) {
                    last.setTotal(Moneys.toMoney(l.total(), l.currencyCode()));
                }
                if (l.abandonTime() != null) {
                    last.setAbandonTime(ContactMapper.ts(l.abandonTime()));
                }
                s.setLastAbandonedCart(last);
            }
        }
        totals.forEach((store, byCurrency) -> byCurrency.forEach((currency, sum) ->
                stores.get(store).addPurchaseTotals(Moneys.toMoney(sum, currency))));
        List<StoreProfile> result = new ArrayList<>();
        stores.forEach((id, b) -> {
            if (storeFilter == null || storeFilter.equals(id)) {
                result.add(b.build());
            }
        });
        return result;
    }

    private static void add(StoreProfile.Builder store, Order order, Set<OrderStatus> statuses, int maxOrders) {
        if ((statuses.isEmpty() || statuses.contains(order.getStatus())) && store.getOrdersCount() < maxOrders) {
            store.addOrders(order);
        }
    }

    private static List<OrderItem> items(String json, String currency) {
        List<OrderItem> items = new ArrayList<>();
        if (json == null) {
            return items;
        }
        try {
            for (JsonNode i : JSON.readTree(json)) {
                items.add(OrderItem.newBuilder().setProductId(i.path("product_id").asText())
                        .setProductName(i.path("product_name").asText()).setCategory(i.path("category").asText(""))
                        .setCategoryId(i.path("category_id").asText(""))
                        .setUnitPrice(Moneys.toMoney(i.path("unit_price").decimalValue(), currency))
                        .setQuantity(i.path("quantity").asInt()).build());
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable items in the facts", e);
        }
        return items;
    }
}
