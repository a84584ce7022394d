package org.relance.segment.grpc;

import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.relance.api.segment.v1.CountContactsRequest;
import org.relance.api.segment.v1.CountContactsResponse;
import org.relance.api.segment.v1.FactsWatermark;
import org.relance.api.segment.v1.ListContactsRequest;
import org.relance.api.segment.v1.ListContactsResponse;
import org.relance.api.segment.v1.MatchContactRequest;
import org.relance.api.segment.v1.MatchContactResponse;
import org.relance.api.segment.v1.MutinySegmentServiceGrpc;
import org.relance.api.segment.v1.RebuildFactsRequest;
import org.relance.api.segment.v1.RebuildFactsResponse;
import org.relance.api.segment.v1.SegmentCondition;
import org.relance.api.segment.v1.StreamContactsRequest;
import org.relance.api.segment.v1.StreamContactsResponse;
import org.relance.kit.error.Violations;
import org.relance.segment.domain.Condition;
import org.relance.segment.facts.StreamConsumers;
import org.relance.segment.persistence.FactsStore;
import org.relance.segment.persistence.SegmentRepository;
import org.relance.segment.persistence.StoreCheck;

/** SegmentService over gRPC: count, stream, list and match answered from the same facts. */
@GrpcService
public class SegmentGrpcService extends MutinySegmentServiceGrpc.SegmentServiceImplBase {
    private static final Duration CATCH_UP = Duration.ofSeconds(10);

    private final SegmentRepository segments;
    private final FactsStore facts;
    private final StoreCheck stores;
    private final StreamConsumers consumers;
    private final org.relance.segment.persistence.InsightRepository insights;
    private final java.util.concurrent.atomic.AtomicBoolean rebuilding = new java.util.concurrent.atomic.AtomicBoolean();

    public SegmentGrpcService(SegmentRepository segments, FactsStore facts, StoreCheck stores, StreamConsumers consumers,
                              org.relance.segment.persistence.InsightRepository insights) {
        this.insights = insights;
        this.segments = segments;
        this.facts = facts;
        this.stores = stores;
        this.consumers = consumers;
    }

    /** The validated condition of a question, after the facts reached {@code min}. */
    private Uni<Condition> question(boolean present, SegmentCondition condition, String storeId, FactsWatermark min) {
        Violations v = new Violations();
        Map<String, String> named = new LinkedHashMap<>();
        if (!storeId.isEmpty()) {
            named.put(storeId, "store_id");
        }
        // No condition at all asks about every contact (the proto says so).
        Condition mapped = new Condition.And(java.util.List.of());
        if (present) {
            mapped = new ConditionMapper(v, named, storeId).map(condition, "condition", 1);
        }
        Condition result = mapped;
        return stores.check(named, v)
                .chain(() -> {
                    v.throwIfAny();
                    return awaitWatermark(min);
                })
                .replaceWith(() -> result);
    }

    private Uni<Void> awaitWatermark(FactsWatermark min) {
        if (min.getCartEventSequence() == 0 && min.getTransactionEventSequence() == 0) {
            return Uni.createFrom().voidItem();
        }
        if (min.getCartEventSequence() < 0 || min.getTransactionEventSequence() < 0) {
            Violations v = new Violations();
            if (min.getCartEventSequence() < 0) {
                v.add("min_watermark.cart_event_sequence", "must not be negative");
            }
            if (min.getTransactionEventSequence() < 0) {
                v.add("min_watermark.transaction_event_sequence", "must not be negative");
            }
            return Uni.createFrom().failure(v.exception());
        }
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        return Uni.createFrom().deferred(() -> facts.positions())
                .onItem().transformToUni(p -> p[0] >= min.getCartEventSequence() && p[1] >= min.getTransactionEventSequence()
                        ? Uni.createFrom().item(true)
                        : System.nanoTime() > deadline
                        ? Uni.createFrom().<Boolean>failure(new org.relance.kit.error.RuleViolationException("FACTS_BEHIND",
                        "the facts have not reached min_watermark within " + CATCH_UP.toSeconds() + " s; retry later"))
                        : Uni.createFrom().item(false).onItem().delayIt().by(Duration.ofMillis(25)))
                .repeat().until(Boolean::booleanValue)
                .collect().last()
                .replaceWithVoid();
    }

    private Uni<FactsWatermark> watermark() {
        return facts.positions().map(p -> FactsWatermark.newBuilder().setCartEventSequence(p[0])
                .setTransactionEventSequence(p[1]).build());
    }

    private static String store(String storeId) {
        return storeId.isEmpty() ? null : storeId;
    }

    @Override
    public Uni<CountContactsResponse> countContacts(CountContactsRequest request) {
        return question(request.hasCondition(), request.getCondition(), request.getStoreId(), request.getMinWatermark())
                .chain(condition -> watermark().chain(w -> segments.count(condition, store(request.getStoreId()))
                        .map(n -> CountContactsResponse.newBuilder().setCount(n).setWatermark(w).build())));
    }

    @Override
    public Multi<StreamContactsResponse> streamContacts(StreamContactsRequest request) {
        if (request.getBatchSize() < 0 || request.getBatchSize() > 10_000) {
            Violations v = new Violations();
            v.add("batch_size", "must be between 1 and 10000 (0 for the default 1000)");
            return Multi.createFrom().failure(v.exception());
        }
        int batch = request.getBatchSize() == 0 ? 1000 : request.getBatchSize();
        return question(request.hasCondition(), request.getCondition(), request.getStoreId(), request.getMinWatermark())
                .onItem().transformToMulti(condition -> watermark().onItem().transformToMulti(w -> {
                    String[] after = {""};
                    return Multi.createBy().repeating()
                            .uni(() -> segments.ids(condition, store(request.getStoreId()), after[0], batch))
                            // whilst also emits the last, shorter page, then stops.
                            .whilst(ids -> {
                                if (!ids.isEmpty()) {
                                    after[0] = ids.get(ids.size() - 1);
                                }
                                return ids.size() == batch;
                            })
                            .select().where(ids -> !ids.isEmpty())
                            .map(ids -> StreamContactsResponse.newBuilder().addAllContactIds(ids).setWatermark(w).build());
                }));
    }

    @Override
    public Uni<MatchContactResponse> matchContact(MatchContactRequest request) {
        Violations v = new Violations();
        v.requireText("contact_id", request.getContactId(), 200);
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        return question(request.hasCondition(), request.getCondition(), request.getStoreId(), request.getMinWatermark())
                .chain(condition -> watermark().chain(w -> segments.matches(request.getContactId(), condition,
                                store(request.getStoreId()))
                        .map(m -> MatchContactResponse.newBuilder().setMatches(m).setWatermark(w).build())));
    }

    @Override
    public Uni<ListContactsResponse> listContacts(ListContactsRequest request) {
        Violations v = new Violations();
        if (request.getPageSize() < 0 || request.getPageSize() > 1000) {
            v.add("page_size", "must be between 1 and 1000 (0 for the default 100)");
        }
        String after = "";
        if (!request.getPageToken().isEmpty()) {
            try {
                String decoded = new String(Base64.getUrlDecoder().decode(request.getPageToken()), StandardCharsets.UTF_8);
                if (!decoded.startsWith("k")) {
                    throw new IllegalArgumentException();
                }
                after = decoded.substring(1);
            } catch (IllegalArgumentException e) {
                v.add("page_token", "is not a token this service issued");
            }
        }
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        int size = request.getPageSize() == 0 ? 100 : request.getPageSize();
        String from = after;
        return question(request.hasCondition(), request.getCondition(), request.getStoreId(), request.getMinWatermark())
                .chain(condition -> watermark().chain(w -> segments.contacts(condition, store(request.getStoreId()), from, size + 1)
                        .map(list -> {
                            ListContactsResponse.Builder b = ListContactsResponse.newBuilder().setWatermark(w);
                            list.stream().limit(size).forEach(c -> b.addContacts(ContactMapper.toProto(c)));
                            if (list.size() > size) {
                                b.setNextPageToken(Base64.getUrlEncoder().withoutPadding().encodeToString(
                                        ("k" + list.get(size - 1).contactId()).getBytes(StandardCharsets.UTF_8)));
                            }
                            return b.build();
                        })));
    }

    @Override
    public Uni<RebuildFactsResponse> rebuildFacts(RebuildFactsRequest request) {
        long started = System.nanoTime();
        if (!rebuilding.compareAndSet(false, true)) {
            return Uni.createFrom().failure(new io.grpc.StatusRuntimeException(io.grpc.Status.ABORTED
                    .withDescription("a rebuild is already running")));
        }
        long[] reached = new long[2];
        return facts.positions()
                .invoke(p -> {
                    reached[0] = p[0];
                    reached[1] = p[1];
                    consumers.stopCommerce();
                })
                .chain(() -> facts.clear())
                .invoke(consumers::startCommerce)
                // Caught up once both streams are back where the facts were, and no batch came for half a second.
                .chain(() -> facts.positions()
                        .map(p -> p[0] >= reached[0] && p[1] >= reached[1] && consumers.idleNanos() > Duration.ofMillis(500).toNanos())
                        .onItem().transformToUni(done -> done ? Uni.createFrom().item(true)
                                : Uni.createFrom().item(false).onItem().delayIt().by(Duration.ofMillis(100)))
                        .repeat().until(Boolean::booleanValue).collect().last())
                .chain(() -> watermark())
                .map(w -> RebuildFactsResponse.newBuilder().setWatermark(w)
                        .setDuration(com.google.protobuf.Duration.newBuilder().setSeconds((System.nanoTime() - started) / 1_000_000_000L))
                        .build())
                .onTermination().invoke(() -> rebuilding.set(false));
    }

    @Override
    public Uni<org.relance.api.segment.v1.GetRecoveryStatisticsResponse> getRecoveryStatistics(
            org.relance.api.segment.v1.GetRecoveryStatisticsRequest request) {
        Violations v = new Violations();
        v.requireText("store_id", request.getStoreId(), 63);
        if (!request.hasStartTime()) {
            v.add("start_time", "is required");
        }
        if (!request.hasEndTime()) {
            v.add("end_time", "is required");
        }
        java.time.Instant start = org.relance.kit.grpc.ProtoValues.instant(request.getStartTime(), "start_time", v);
        java.time.Instant end = org.relance.kit.grpc.ProtoValues.instant(request.getEndTime(), "end_time", v);
        if (request.hasStartTime() && request.hasEndTime() && start != null && end != null && !end.isAfter(start)) {
            v.add("end_time", "must be after start_time");
        }
        if (request.getMaxTopProducts() < 0 || request.getMaxTopProducts() > 100) {
            v.add("max_top_products", "must be between 1 and 100 (0 for the default 10)");
        }
        if (!v.isEmpty()) {
            return Uni.createFrom().failure(v.exception());
        }
        int top = request.getMaxTopProducts() == 0 ? 10 : request.getMaxTopProducts();
        return stores.find(request.getStoreId()).chain(store -> {
            if (store == null) {
                Violations missing = new Violations();
                missing.add("store_id", "store " + request.getStoreId() + " does not exist");
                return Uni.createFrom().failure(missing.exception());
            }
            String currency = store.getCurrencyCode();
            String zone = store.getTimeZone().isEmpty() ? "UTC" : store.getTimeZone();
            return insights.totals(request.getStoreId(), start, end).chain(totals -> insights.days(request.getStoreId(), start, end, zone)
                    .chain(days -> insights.topProducts(request.getStoreId(), start, end, top)
                            .chain(products -> watermark().map(w -> {
                                var b = org.relance.api.segment.v1.GetRecoveryStatisticsResponse.newBuilder().setTimeZone(zone)
                                        .setTotals(figures(totals, currency)).setWatermark(w);
                                days.forEach(d -> b.addDays(org.relance.api.segment.v1.DailyRecoveryStatistics.newBuilder()
                                        .setDate(d.day().toString()).setStatistics(figures(d, currency))));
                                products.forEach(p -> b.addTopAbandonedProducts(org.relance.api.segment.v1.AbandonedProduct.newBuilder()
                                        .setProductId(p.productId()).setProductName(p.productName() == null ? "" : p.productName())
                                        .setAbandonedCartCount(p.carts()).setAbandonedQuantity(p.quantity())
                                        .setAbandonedValue(org.relance.kit.grpc.Moneys.toMoney(p.value(), currency))
                                        .setRecoveredCartCount(p.recovered())));
                                return b.build();
                            }))));
        });
    }

    /** Sent notifications count those of the episode each abandoned cart is in. */
    private static org.relance.api.segment.v1.RecoveryStatistics figures(
            org.relance.segment.persistence.InsightRepository.DayFigures d, String currency) {
        var b = org.relance.api.segment.v1.RecoveryStatistics.newBuilder()
                .setAbandonedCartCount(d.abandoned())
                .setRecoveredCartCount(d.recovered())
                .setRecoveryRate(d.abandoned() == 0 ? 0 : (double) d.recovered() / d.abandoned())
                .setAbandonedValue(org.relance.kit.grpc.Moneys.toMoney(d.abandonedValue(), currency))
                .setRecoveredRevenue(org.relance.kit.grpc.Moneys.toMoney(d.recoveredRevenue(), currency))
                .setSentNotificationCount(d.sentNotifications());
        if (d.medianRecoverySeconds() != null) {
            b.setMedianRecoveryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(Math.round(d.medianRecoverySeconds())));
        }
        return b.build();
    }
}
