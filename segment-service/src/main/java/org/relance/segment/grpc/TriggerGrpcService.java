package org.relance.segment.grpc;

import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.relance.api.segment.v1.*;
import org.relance.kit.error.NotFoundException;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.Moneys;
import org.relance.kit.grpc.ProtoValues;
import org.relance.kit.time.Instants;
import org.relance.segment.notifications.LinkSigner;
import org.relance.segment.notifications.NotificationConfig;
import org.relance.segment.notifications.NotificationRepository;
import org.relance.segment.persistence.SegmentRepository;
import org.relance.segment.persistence.StoreCheck;
import org.relance.segment.triggers.CartFact;
import org.relance.segment.triggers.SkipReason;
import org.relance.segment.triggers.Trigger;
import org.relance.segment.triggers.TriggerChecks;
import org.relance.segment.triggers.TriggerRepository;

/** TriggerService over gRPC: triggers, the delivery log, explanations and dry runs. */
@GrpcService
public class TriggerGrpcService extends MutinyTriggerServiceGrpc.TriggerServiceImplBase {
    private static final Set<String> MASKABLE = Set.of("store_id", "display_name", "product_ids", "product_name_contains", "category_ids",
            "min_cart_value", "max_cart_value", "wait", "follow_up_waits", "condition", "quiet_hours", "webhook");

    private final TriggerRepository triggers;
    private final NotificationRepository notifications;
    private final SegmentRepository segments;
    private final StoreCheck stores;
    private final TriggerMapper.Rules rules;
    private final Clock clock;

    public TriggerGrpcService(TriggerRepository triggers, NotificationRepository notifications, SegmentRepository segments,
                              StoreCheck stores, NotificationConfig config, LinkSigner links, Clock clock) {
        this.triggers = triggers;
        this.notifications = notifications;
        this.segments = segments;
        this.stores = stores;
        this.clock = clock;
        this.rules = new TriggerMapper.Rules(config.minimumWait(), config.webhookTimeout(), links.secrets(),
                name -> ConfigProvider.getConfig().getOptionalValue(name, String.class).isPresent());
    }

    private static <T> Uni<T> invalid(Violations v) {
        return Uni.createFrom().failure(v.exception());
    }

    private static void requireId(Violations v, String field, String id) {
        if (id.isEmpty()) {
            v.add(field, "is required");
        } else if (!TriggerMapper.ID.matcher(id).matches()) {
            v.add(field, "must be 1 to 63 characters of a-z, 0-9 and '-'");
        }
    }

    @Override
    public Uni<CreateTriggerResponse> createTrigger(CreateTriggerRequest request) {
        Violations v = new Violations();
        v.requireText("request_id", request.getRequestId(), 100);
        if (!request.hasTrigger()) {
            v.add("trigger", "is required");
            return invalid(v);
        }
        Map<String, String> named = new LinkedHashMap<>();
        Instant now = Instants.now(clock);
        Trigger t = TriggerMapper.toDomain(request.getTrigger(), "trigger.", null, true, rules, v, named, now);
        return stores.check(named, v).chain(() -> {
            v.throwIfAny();
            Trigger withId = t.triggerId().isEmpty() ? new Trigger("t-" + UUID.randomUUID().toString().substring(0, 18), t.storeId(),
                    t.displayName(), true, t.productIds(), t.productNameContains(), t.categoryIds(), t.minValue(), t.maxValue(),
                    t.valueCurrency(), t.waitTime(), t.followUpWaits(), t.condition(), t.quietHours(), t.webhook(), now, now, now) : t;
            return triggers.create(request.getRequestId(), withId);
        }).map(saved -> CreateTriggerResponse.newBuilder().setTrigger(TriggerMapper.toProto(saved)).build());
    }

    @Override
    public Uni<UpdateTriggerResponse> updateTrigger(UpdateTriggerRequest request) {
        Violations v = new Violations();
        if (!request.hasTrigger()) {
            v.add("trigger", "is required");
            return invalid(v);
        }
        requireId(v, "trigger.trigger_id", request.getTrigger().getTriggerId());
        if (request.getUpdateMask().getPathsCount() == 0) {
            v.add("update_mask", "names no field");
        }
        for (int i = 0; i < request.getUpdateMask().getPathsCount(); i++) {
            if (!MASKABLE.contains(request.getUpdateMask().getPaths(i))) {
                v.add("update_mask.paths[" + i + "]", "cannot change " + request.getUpdateMask().getPaths(i));
            }
        }
        if (!v.isEmpty()) {
            return invalid(v);
        }
        return triggers.get(request.getTrigger().getTriggerId()).chain(previous -> {
            org.relance.api.segment.v1.Trigger merged = merge(TriggerMapper.toProto(previous), request.getTrigger(),
                    request.getUpdateMask().getPathsList());
            Map<String, String> named = new LinkedHashMap<>();
            Trigger t = TriggerMapper.toDomain(merged, "trigger.", previous, true, rules, v, named, Instants.now(clock));
            return stores.check(named, v).chain(() -> {
                v.throwIfAny();
                return triggers.update(t);
            });
        }).map(saved -> UpdateTriggerResponse.newBuilder().setTrigger(TriggerMapper.toProto(saved)).build());
    }

    /** The stored trigger with the masked fields taken from the request (secrets only when given). */
    private static org.relance.api.segment.v1.Trigger merge(org.relance.api.segment.v1.Trigger stored, org.relance.api.segment.v1.Trigger given,
                                                           List<String> paths) {
        var b = stored.toBuilder();
        // A stored secret_ref comes back from toProto; without the webhook in the mask it is kept as it is.
        for (String path : paths) {
            switch (path) {
                case "store_id" -> b.setStoreId(given.getStoreId());
                case "display_name" -> b.setDisplayName(given.getDisplayName());
                case "product_ids" -> b.clearProductIds().addAllProductIds(given.getProductIdsList());
                case "product_name_contains" -> b.setProductNameContains(given.getProductNameContains());
                case "category_ids" -> b.clearCategoryIds().addAllCategoryIds(given.getCategoryIdsList());
                case "min_cart_value" -> {
                    if (given.hasMinCartValue()) {
                        b.setMinCartValue(given.getMinCartValue());
                    } else {
                        b.clearMinCartValue();
                    }
                }
                case "max_cart_value" -> {
                    if (given.hasMaxCartValue()) {
                        b.setMaxCartValue(given.getMaxCartValue());
                    } else {
                        b.clearMaxCartValue();
                    }
                }
                case "wait" -> {
                    if (given.hasWait()) {
                        b.setWait(given.getWait());
                    } else {
                        b.clearWait();
                    }
                }
                case "follow_up_waits" -> b.clearFollowUpWaits().addAllFollowUpWaits(given.getFollowUpWaitsList());
                case "condition" -> {
                    if (given.hasCondition()) {
                        b.setCondition(given.getCondition());
                    } else {
                        b.clearCondition();
                    }
                }
                case "quiet_hours" -> {
                    if (given.hasQuietHours()) {
                        b.setQuietHours(given.getQuietHours());
                    } else {
                        b.clearQuietHours();
                    }
                }
                case "webhook" -> {
                    if (given.hasWebhook()) {
                        b.setWebhook(given.getWebhook());
                    } else {
                        b.clearWebhook();
                    }
                }
                default -> throw new IllegalStateException(path);
            }
        }
        if (!paths.contains("webhook") && b.hasWebhook()) {
            // Keep the stored secret: toDomain keeps it when the webhook names none.
            b.setWebhook(b.getWebhook().toBuilder().clearSecretRef());
        }
        return b.build();
    }

    @Override
    public Uni<GetTriggerResponse> getTrigger(GetTriggerRequest request) {
        Violations v = new Violations();
        requireId(v, "trigger_id", request.getTriggerId());
        if (!v.isEmpty()) {
            return invalid(v);
        }
        return triggers.get(request.getTriggerId()).chain(t -> notifications.statistics(t.triggerId()).map(s -> {
            TriggerStatistics.Builder stats = TriggerStatistics.newBuilder().setPendingNotificationCount(s.pending())
                    .setSentNotificationCount(s.sent()).setSkippedNotificationCount(s.skipped()).setFailedNotificationCount(s.failed())
                    .setRecoveredCartCount(s.recovered());
            s.revenue().forEach((currency, amount) -> stats.addRecoveredRevenues(Moneys.toMoney(amount, currency)));
            return GetTriggerResponse.newBuilder().setTrigger(TriggerMapper.toProto(t)).setStatistics(stats).build();
        }));
    }

    @Override
    public Uni<ListTriggersResponse> listTriggers(ListTriggersRequest request) {
        Violations v = new Violations();
        int size = pageSize(request.getPageSize(), v);
        int offset = ProtoValues.offset(request.getPageToken(), v);
        v.optionalText("store_id", request.getStoreId(), 63);
        if (request.getStateValue() < 0 || request.getStateValue() > 2) {
            v.add("state", "must be ACTIVE or PAUSED (or unspecified)");
        }
        if (!v.isEmpty()) {
            return invalid(v);
        }
        // Offset paging over the id order; the list of triggers is short.
        return triggers.list(request.getStoreId(), request.getStateValue(), "", offset + size + 1).map(all -> {
            ListTriggersResponse.Builder b = ListTriggersResponse.newBuilder();
            all.stream().skip(offset).limit(size).forEach(t -> b.addTriggers(TriggerMapper.toProto(t)));
            if (all.size() > offset + size) {
                b.setNextPageToken(ProtoValues.offsetToken(offset + size));
            }
            return b.build();
        });
    }

    private static int pageSize(int requested, Violations v) {
        if (requested < 0 || requested > 1000) {
            v.add("page_size", "must be between 1 and 1000 (0 for the default 100)");
        }
        return requested <= 0 || requested > 1000 ? 100 : requested;
    }

    @Override
    public Uni<DeleteTriggerResponse> deleteTrigger(DeleteTriggerRequest request) {
        Violations v = new Violations();
        requireId(v, "trigger_id", request.getTriggerId());
        if (!v.isEmpty()) {
            return invalid(v);
        }
        return triggers.delete(request.getTriggerId(), Instants.now(clock))
                .map(n -> DeleteTriggerResponse.newBuilder().setSkippedNotificationCount(n).build());
    }

    @Override
    public Uni<PauseTriggerResponse> pauseTrigger(PauseTriggerRequest request) {
        Violations v = new Violations();
        requireId(v, "trigger_id", request.getTriggerId());
        if (!v.isEmpty()) {
            return invalid(v);
        }
        return triggers.pause(request.getTriggerId(), Instants.now(clock)).map(e -> PauseTriggerResponse.newBuilder()
                .setTrigger(TriggerMapper.toProto(e.getKey())).setSkippedNotificationCount(e.getValue()).build());
    }

    @Override
    public Uni<ResumeTriggerResponse> resumeTrigger(ResumeTriggerRequest request) {
        Violations v = new Violations();
        requireId(v, "trigger_id", request.getTriggerId());
        if (!v.isEmpty()) {
            return invalid(v);
        }
        return triggers.resume(request.getTriggerId(), Instants.now(clock))
                .map(t -> ResumeTriggerResponse.newBuilder().setTrigger(TriggerMapper.toProto(t)).build());
    }

    @Override
    public Uni<ListNotificationsResponse> listNotifications(ListNotificationsRequest request) {
        Violations v = new Violations();
        int size = pageSize(request.getPageSize(), v);
        int offset = ProtoValues.offset(request.getPageToken(), v);
        v.optionalText("trigger_id", request.getTriggerId(), 63);
        v.optionalText("store_id", request.getStoreId(), 63);
        v.optionalText("cart_id", request.getCartId(), 500);
        v.optionalText("contact_id", request.getContactId(), 200);
        if (!request.getCartId().isEmpty() && request.getStoreId().isEmpty()) {
            v.add("store_id", "is required with cart_id");
        }
        for (int i = 0; i < request.getStatesCount(); i++) {
            if (request.getStatesValue(i) < 1 || request.getStatesValue(i) > 4) {
                v.add("states[" + i + "]", "must be PENDING, SENT, SKIPPED or FAILED");
            }
        }
        if (!v.isEmpty()) {
            return invalid(v);
        }
        return notifications.list(new NotificationRepository.Filter(request.getTriggerId(), request.getStoreId(), request.getCartId(),
                        request.getContactId(), request.getStatesValueList()), offset, size + 1)
                .chain(list -> notifications.attempts(list.stream().map(n -> n.notificationId()).toList()).map(log -> {
                    ListNotificationsResponse.Builder b = ListNotificationsResponse.newBuilder();
                    list.stream().limit(size).forEach(n -> b.addNotifications(TriggerMapper.toProto(n,
                            log.getOrDefault(n.notificationId(), List.of()))));
                    if (list.size() > size) {
                        b.setNextPageToken(ProtoValues.offsetToken(offset + size));
                    }
                    return b.build();
                }));
    }

    @Override
    public Uni<ExplainTriggerResponse> explainTrigger(ExplainTriggerRequest request) {
        Violations v = new Violations();
        requireId(v, "trigger_id", request.getTriggerId());
        v.requireText("store_id", request.getStoreId(), 63);
        v.requireText("cart_id", request.getCartId(), 500);
        if (request.getEpisode() < 0) {
            v.add("episode", "must not be negative (0 for the latest)");
        }
        if (!v.isEmpty()) {
            return invalid(v);
        }
        return triggers.get(request.getTriggerId()).chain(t -> notifications.cart(request.getStoreId(), request.getCartId()).chain(cart -> {
            if (cart == null) {
                return Uni.createFrom().failure(new NotFoundException("cart " + request.getCartId() + " of store " + request.getStoreId()
                        + " is not known"));
            }
            int episode = request.getEpisode() == 0 ? cart.episode() : request.getEpisode();
            Instant now = Instants.now(clock);
            return notifications.contactState(cart.contactId(), cart.storeId(), cart.updateTime())
                    .chain(contact -> conditionHolds(t, cart.contactId(), contact.known())
                            .chain(holds -> stores.find(cart.storeId()).chain(store -> notifications.ofEpisode(t.triggerId(), cart.storeId(),
                                    cart.cartId(), episode).chain(made -> notifications.attempts(made.stream().map(n -> n.notificationId())
                                    .toList()).map(log -> {
                                List<TriggerChecks.Check> checks = TriggerChecks.evaluate(t, cart, episode, contact, holds, now, zone(store));
                                ExplainTriggerResponse.Builder b = ExplainTriggerResponse.newBuilder().setEpisode(episode)
                                        .setWouldFire(checks.stream().allMatch(c -> c.outcome() != TriggerChecks.Outcome.FAILED));
                                checks.forEach(c -> b.addChecks(TriggerMapper.toProto(c)));
                                made.forEach(n -> b.addNotifications(TriggerMapper.toProto(n, log.getOrDefault(n.notificationId(), List.of()))));
                                return b.build();
                            })))));
        }));
    }

    private Uni<Boolean> conditionHolds(Trigger t, String contactId, boolean known) {
        var condition = ConditionMapper.stored(t.condition(), t.storeId());
        if (condition == null) {
            return Uni.createFrom().nullItem();
        }
        if (!known) {
            return Uni.createFrom().item(false);
        }
        return segments.matches(contactId, condition, t.storeId().isEmpty() ? null : t.storeId());
    }

    private static java.time.ZoneId zone(org.relance.api.cart.v1.Store store) {
        try {
            return store == null || store.getTimeZone().isEmpty() ? java.time.ZoneOffset.UTC : java.time.ZoneId.of(store.getTimeZone());
        } catch (java.time.DateTimeException e) {
            return java.time.ZoneOffset.UTC;
        }
    }

    @Override
    public Uni<DryRunTriggerResponse> dryRunTrigger(DryRunTriggerRequest request) {
        Violations v = new Violations();
        int size = pageSize(request.getPageSize(), v);
        int offset = ProtoValues.offset(request.getPageToken(), v);
        Uni<Trigger> source;
        Map<String, String> named = new LinkedHashMap<>();
        switch (request.getTriggerSourceCase()) {
            case TRIGGER_ID -> {
                requireId(v, "trigger_id", request.getTriggerId());
                source = v.isEmpty() ? triggers.get(request.getTriggerId()) : null;
            }
            case TRIGGER -> {
                Trigger t = TriggerMapper.toDomain(request.getTrigger(), "trigger.", null, false, rules, v, named, Instants.now(clock));
                source = stores.check(named, v).map(x -> {
                    v.throwIfAny();
                    return t;
                });
            }
            default -> {
                v.add("trigger_id", "a trigger_id or an inline trigger is required");
                source = null;
            }
        }
        if (!v.isEmpty() || source == null) {
            return invalid(v);
        }
        return source.chain(t -> notifications.matches(t, offset, size + 1).chain(found -> Multi.createFrom().iterable(found.stream().limit(size).toList())
                .onItem().transformToUniAndConcatenate(m -> stores.find(m.cart().storeId()).map(store -> match(t, m, store)))
                .collect().asList()
                .map(matches -> {
                    DryRunTriggerResponse.Builder b = DryRunTriggerResponse.newBuilder().addAllMatches(matches);
                    if (found.size() > size) {
                        b.setNextPageToken(ProtoValues.offsetToken(offset + size));
                    }
                    return b.build();
                })));
    }

    private DryRunMatch match(Trigger t, NotificationRepository.Match m, org.relance.api.cart.v1.Store store) {
        CartFact cart = m.cart();
        Instant due = cart.abandonTime().plus(t.waitTime());
        SkipReason reason = TriggerChecks.sendTimeSkip(cart, cart.episode(), m.contact(), null);
        if (reason == null && t.quietHours() != null && t.quietHours().skip()) {
            Instant at = due.isAfter(Instants.now(clock)) ? due : Instants.now(clock);
            if (t.quietHours().contains(at, zone(store))) {
                reason = SkipReason.QUIET_HOURS;
            }
        }
        DryRunMatch.Builder b = DryRunMatch.newBuilder().setStoreId(cart.storeId()).setCartId(cart.cartId())
                .setContactId(cart.contactId()).setEpisode(cart.episode()).setAbandonTime(ProtoValues.timestamp(cart.abandonTime()))
                .setDueTime(ProtoValues.timestamp(due)).setAlreadyNotified(m.notified());
        if (cart.total() != null) {
            b.setCartTotal(Moneys.toMoney(cart.total(), cart.currencyCode()));
        }
        if (reason != null) {
            b.setSkipReasonValue(reason.code());
        }
        return b.build();
    }

    @Override
    public Uni<RedeliverNotificationResponse> redeliverNotification(RedeliverNotificationRequest request) {
        Violations v = new Violations();
        v.requireText("request_id", request.getRequestId(), 100);
        v.requireText("notification_id", request.getNotificationId(), 100);
        if (!v.isEmpty()) {
            return invalid(v);
        }
        // The send-time checks run first, so that a redelivery that would be skipped is refused and changes nothing.
        return notifications.get(request.getNotificationId()).chain(n -> triggers.get(n.triggerId()).chain(t ->
                notifications.cart(n.storeId(), n.cartId()).chain(cart -> {
                    if (cart == null) {
                        return Uni.createFrom().failure(new org.relance.kit.error.RuleViolationException("CART_PURGED",
                                "the cart is no longer known"));
                    }
                    return notifications.contactState(n.contactId(), cart.storeId(), cart.updateTime()).chain(contact -> {
                        SkipReason reason = TriggerChecks.sendTimeSkip(cart, n.episode(), contact, null);
                        if (reason != null && n.state() != 1 && n.state() != 3) {
                            return Uni.createFrom().failure(new org.relance.kit.error.RuleViolationException(reason.name(),
                                    "the notification cannot be delivered again: " + reason.name().toLowerCase().replace('_', ' ')));
                        }
                        return notifications.redeliver(request.getRequestId(), n.notificationId(), Instants.now(clock));
                    });
                })))
                .map(n -> RedeliverNotificationResponse.newBuilder().setNotification(TriggerMapper.toProto(n)).build());
    }
}
