package org.relance.segment.grpc;

import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.relance.api.segment.v1.CheckOutcome;
import org.relance.api.segment.v1.NotificationPayload;
import org.relance.api.segment.v1.NotificationState;
import org.relance.api.segment.v1.QuietHoursPolicy;
import org.relance.api.segment.v1.TriggerCheck;
import org.relance.api.segment.v1.TriggerCheckKind;
import org.relance.api.segment.v1.TriggerState;
import org.relance.api.segment.v1.WebhookTarget;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.Moneys;
import org.relance.kit.grpc.ProtoValues;
import org.relance.segment.notifications.Notification;
import org.relance.segment.triggers.QuietHours;
import org.relance.segment.triggers.SecretBox;
import org.relance.segment.triggers.Trigger;
import org.relance.segment.triggers.TriggerChecks;

/** Triggers and notifications between proto and domain, with every rule of trigger_service.proto checked. */
final class TriggerMapper {
    static final Pattern ID = Pattern.compile("[a-z0-9-]{1,63}");
    private static final Pattern SECRET_REF = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,199}");
    private static final Pattern LOCAL_TIME = Pattern.compile("([01][0-9]|2[0-3]):[0-5][0-9]");
    private static final Duration MAX_WAIT = Duration.ofDays(30);
    private static final Duration MAX_TIMEOUT = Duration.ofSeconds(60);

    private TriggerMapper() {
    }

    /** Settings a trigger needs beyond its proto: the shortest wait, the default timeout, how secrets are sealed. */
    record Rules(Duration minimumWait, Duration defaultTimeout, SecretBox box, java.util.function.Predicate<String> secretRefExists) {
    }

    /**
     * The domain trigger of {@code p}, every problem added to {@code v}; stores named go to
     * {@code stores}. {@code previous} is the stored trigger on update (its secret is kept when
     * none is given), null on creation; {@code targetRequired} is false for a dry run.
     */
    static Trigger toDomain(org.relance.api.segment.v1.Trigger p, String prefix, Trigger previous, boolean targetRequired, Rules rules,
                            Violations v, Map<String, String> stores, Instant now) {
        String id = p.getTriggerId();
        if (!id.isEmpty() && !ID.matcher(id).matches()) {
            v.add(prefix + "trigger_id", "must be 1 to 63 characters of a-z, 0-9 and '-'");
        }
        if (!p.getStoreId().isEmpty()) {
            v.optionalText(prefix + "store_id", p.getStoreId(), 63);
            stores.putIfAbsent(p.getStoreId(), prefix + "store_id");
        }
        if (targetRequired) {
            v.requireText(prefix + "display_name", p.getDisplayName(), 200);
        } else {
            v.optionalText(prefix + "display_name", p.getDisplayName(), 200);
        }
        ids(prefix + "product_ids", p.getProductIdsList(), v);
        v.optionalText(prefix + "product_name_contains", p.getProductNameContains(), 500);
        ids(prefix + "category_ids", p.getCategoryIdsList(), v);
        BigDecimal min = p.hasMinCartValue() ? Moneys.toDecimal(prefix + "min_cart_value", p.getMinCartValue(), v) : null;
        BigDecimal max = p.hasMaxCartValue() ? Moneys.toDecimal(prefix + "max_cart_value", p.getMaxCartValue(), v) : null;
        if (min != null && min.signum() < 0) {
            v.add(prefix + "min_cart_value", "must not be negative");
        }
        if (max != null && max.signum() < 0) {
            v.add(prefix + "max_cart_value", "must not be negative");
        }
        if (min != null && max != null && min.compareTo(max) > 0) {
            v.add(prefix + "max_cart_value", "must be at least min_cart_value");
        }
        String minCurrency = p.hasMinCartValue() ? p.getMinCartValue().getCurrencyCode() : "";
        String maxCurrency = p.hasMaxCartValue() ? p.getMaxCartValue().getCurrencyCode() : "";
        if (!minCurrency.isEmpty() && !maxCurrency.isEmpty() && !minCurrency.equals(maxCurrency)) {
            v.add(prefix + "max_cart_value.currency_code", "must be the currency of min_cart_value");
        }
        String currency = !minCurrency.isEmpty() ? minCurrency : maxCurrency.isEmpty() ? null : maxCurrency;
        if (currency != null && !currency.matches("[A-Z]{3}")) {
            v.add(prefix + (minCurrency.isEmpty() ? "max_cart_value" : "min_cart_value") + ".currency_code", "must be an ISO 4217 code");
        }
        Duration wait = p.hasWait() ? duration(prefix + "wait", p.getWait(), rules.minimumWait(), MAX_WAIT, v) : Duration.ofHours(1);
        if (p.getFollowUpWaitsCount() > 5) {
            v.add(prefix + "follow_up_waits", "at most 5 follow-ups");
        }
        List<Duration> followUps = new java.util.ArrayList<>();
        for (int i = 0; i < p.getFollowUpWaitsCount(); i++) {
            followUps.add(duration(prefix + "follow_up_waits[" + i + "]", p.getFollowUpWaits(i), rules.minimumWait(), MAX_WAIT, v));
        }
        byte[] condition = null;
        if (p.hasCondition()) {
            new ConditionMapper(v, stores, p.getStoreId()).map(p.getCondition(), prefix + "condition", 1);
            condition = p.getCondition().toByteArray();
        }
        QuietHours quiet = p.hasQuietHours() ? quietHours(prefix + "quiet_hours", p.getQuietHours(), v) : null;
        Trigger.Webhook webhook = webhook(prefix, p, previous, targetRequired, rules, v);
        return new Trigger(id, p.getStoreId(), p.getDisplayName(), previous == null || previous.active(), p.getProductIdsList(),
                ProtoValues.emptyToNull(p.getProductNameContains()), p.getCategoryIdsList(), min, max, currency, wait, followUps, condition,
                quiet, webhook, previous == null ? now : previous.activeSince(), previous == null ? now : previous.createTime(), now);
    }

    private static void ids(String field, List<String> ids, Violations v) {
        if (ids.size() > 100) {
            v.add(field, "at most 100");
        }
        for (int i = 0; i < ids.size(); i++) {
            v.requireText(field + "[" + i + "]", ids.get(i), 500);
        }
    }

    private static Duration duration(String field, com.google.protobuf.Duration d, Duration min, Duration max, Violations v) {
        Duration value = org.relance.kit.grpc.ProtoValues.duration(d, field, v);
        if (value == null) {
            return min;
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            v.add(field, "must be from " + min + " to " + max);
        }
        return Duration.ofSeconds(value.getSeconds());
    }

    private static QuietHours quietHours(String field, org.relance.api.segment.v1.QuietHours q, Violations v) {
        LocalTime start = localTime(field + ".start_local_time", q.getStartLocalTime(), v);
        LocalTime end = localTime(field + ".end_local_time", q.getEndLocalTime(), v);
        if (q.getPolicyValue() < 0 || q.getPolicyValue() > 2) {
            v.add(field + ".policy", "must be DELAY or SKIP");
        }
        if (start == null || end == null) {
            return null;
        }
        if (start.equals(end)) {
            v.add(field + ".end_local_time", "must differ from start_local_time");
            return null;
        }
        return new QuietHours(start, end, q.getPolicy() == QuietHoursPolicy.QUIET_HOURS_POLICY_SKIP);
    }

    private static LocalTime localTime(String field, String text, Violations v) {
        if (!LOCAL_TIME.matcher(text).matches()) {
            v.add(field, "must be HH:MM on a 24-hour clock");
            return null;
        }
        try {
            return LocalTime.parse(text);
        } catch (DateTimeParseException e) {
            v.add(field, "must be HH:MM on a 24-hour clock");
            return null;
        }
    }

    private static Trigger.Webhook webhook(String prefix, org.relance.api.segment.v1.Trigger p, Trigger previous, boolean required,
                                           Rules rules, Violations v) {
        if (!p.hasWebhook()) {
            if (required) {
                v.add(prefix + "webhook", "is required");
            }
            return previous != null ? previous.webhook() : new Trigger.Webhook("", null, null, rules.defaultTimeout());
        }
        WebhookTarget w = p.getWebhook();
        String f = prefix + "webhook";
        v.requireText(f + ".url", w.getUrl(), 2000);
        if (!w.getUrl().isEmpty() && w.getUrl().length() <= 2000) {
            try {
                URI uri = URI.create(w.getUrl());
                String host = uri.getHost();
                boolean local = host != null && (host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]"));
                if (!uri.isAbsolute() || host == null || !("https".equals(uri.getScheme()) || ("http".equals(uri.getScheme()) && local))) {
                    v.add(f + ".url", "must be an absolute https URL (http only for localhost)");
                }
            } catch (IllegalArgumentException e) {
                v.add(f + ".url", "is not a URL");
            }
        }
        String sealed = null;
        String ref = null;
        switch (w.getSecretSourceCase()) {
            case SECRET -> {
                if (w.getSecret().length() < 16 || w.getSecret().length() > 500) {
                    v.add(f + ".secret", "must be 16 to 500 characters");
                } else {
                    sealed = rules.box().seal(w.getSecret());
                }
            }
            case SECRET_REF -> {
                if (!SECRET_REF.matcher(w.getSecretRef()).matches()) {
                    v.add(f + ".secret_ref", "must be the name of a configuration property or environment variable");
                } else if (!rules.secretRefExists().test(w.getSecretRef())) {
                    v.add(f + ".secret_ref", w.getSecretRef() + " is not set in the segment service's configuration");
                } else {
                    ref = w.getSecretRef();
                }
            }
            default -> {
                if (previous != null) {
                    sealed = previous.webhook().sealedSecret();
                    ref = previous.webhook().secretRef();
                } else if (required) {
                    v.add(f + ".secret", "a secret or secret_ref is required");
                }
            }
        }
        Duration timeout = rules.defaultTimeout();
        if (w.hasTimeout()) {
            Duration given = org.relance.kit.grpc.ProtoValues.duration(w.getTimeout(), f + ".timeout", v);
            timeout = given == null ? rules.defaultTimeout() : given;
            if (given != null && (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0)) {
                v.add(f + ".timeout", "must be more than 0 and at most 60 seconds");
            }
        }
        return new Trigger.Webhook(w.getUrl(), sealed, ref, timeout);
    }

    static org.relance.api.segment.v1.Trigger toProto(Trigger t) {
        var b = org.relance.api.segment.v1.Trigger.newBuilder().setTriggerId(t.triggerId()).setStoreId(t.storeId())
                .setDisplayName(t.displayName()).setState(t.active() ? TriggerState.TRIGGER_STATE_ACTIVE : TriggerState.TRIGGER_STATE_PAUSED)
                .addAllProductIds(t.productIds()).setProductNameContains(ProtoValues.nullToEmpty(t.productNameContains()))
                .addAllCategoryIds(t.categoryIds()).setWait(duration(t.waitTime()))
                .setCreateTime(ProtoValues.timestamp(t.createTime())).setUpdateTime(ProtoValues.timestamp(t.updateTime()));
        if (t.minValue() != null) {
            b.setMinCartValue(Moneys.toMoney(t.minValue(), t.valueCurrency()));
        }
        if (t.maxValue() != null) {
            b.setMaxCartValue(Moneys.toMoney(t.maxValue(), t.valueCurrency()));
        }
        t.followUpWaits().forEach(d -> b.addFollowUpWaits(duration(d)));
        if (t.condition() != null) {
            try {
                b.setCondition(org.relance.api.segment.v1.SegmentCondition.parseFrom(t.condition()));
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new IllegalStateException(e);
            }
        }
        if (t.quietHours() != null) {
            b.setQuietHours(org.relance.api.segment.v1.QuietHours.newBuilder().setStartLocalTime(t.quietHours().start().toString())
                    .setEndLocalTime(t.quietHours().end().toString())
                    .setPolicy(t.quietHours().skip() ? QuietHoursPolicy.QUIET_HOURS_POLICY_SKIP : QuietHoursPolicy.QUIET_HOURS_POLICY_DELAY));
        }
        WebhookTarget.Builder w = WebhookTarget.newBuilder().setUrl(t.webhook().url())
                .setHasSecret(t.webhook().sealedSecret() != null || t.webhook().secretRef() != null)
                .setTimeout(duration(t.webhook().timeout()));
        if (t.webhook().secretRef() != null) {
            w.setSecretRef(t.webhook().secretRef());
        }
        b.setWebhook(w);
        return b.build();
    }

    static com.google.protobuf.Duration duration(Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }

    static org.relance.api.segment.v1.Notification toProto(Notification n, List<org.relance.segment.notifications.NotificationRepository.Attempt> attempts) {
        var b = toProto(n).toBuilder();
        for (var a : attempts) {
            b.addAttempts(org.relance.api.segment.v1.DeliveryAttempt.newBuilder().setAttempt(a.attempt())
                    .setAttemptTime(ProtoValues.timestamp(a.time())).setStatusCode(a.statusCode())
                    .setError(ProtoValues.nullToEmpty(a.error())).setDuration(duration(a.took())));
        }
        return b.build();
    }

    static org.relance.api.segment.v1.Notification toProto(Notification n) {
        var b = org.relance.api.segment.v1.Notification.newBuilder().setNotificationId(n.notificationId()).setTriggerId(n.triggerId())
                .setStoreId(n.storeId()).setCartId(n.cartId()).setContactId(n.contactId()).setEpisode(n.episode()).setStep(n.step())
                .setStateValue(n.state()).setSkipReasonValue(n.skipReason()).setAttemptCount(n.attemptCount())
                .setLastError(ProtoValues.nullToEmpty(n.lastError())).setLastStatusCode(n.lastStatusCode())
                .setDueTime(ProtoValues.timestamp(n.dueTime())).setCreateTime(ProtoValues.timestamp(n.createTime()));
        if (n.lastAttemptTime() != null) {
            b.setLastAttemptTime(ProtoValues.timestamp(n.lastAttemptTime()));
        }
        if (n.nextAttemptTime() != null && n.state() == 1) {
            b.setNextAttemptTime(ProtoValues.timestamp(n.nextAttemptTime()));
        }
        if (n.completeTime() != null) {
            b.setCompleteTime(ProtoValues.timestamp(n.completeTime()));
        }
        if (n.payload() != null) {
            try {
                b.setPayload(NotificationPayload.parseFrom(n.payload()));
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new IllegalStateException(e);
            }
        }
        if (n.recoverTime() != null) {
            b.setRecoverTime(ProtoValues.timestamp(n.recoverTime())).setRecoveredTransactionId(n.recoveredTransactionId())
                    .setRecoveredRevenue(Moneys.toMoney(n.recoveredRevenue(), n.recoveredCurrency()));
        }
        return b.build();
    }

    static int state(NotificationState s) {
        return s.getNumber();
    }

    static TriggerCheck toProto(TriggerChecks.Check c) {
        return TriggerCheck.newBuilder().setKind(TriggerCheckKind.forNumber(c.kind().ordinal() + 1))
                .setOutcome(switch (c.outcome()) {
                    case PASSED -> CheckOutcome.CHECK_OUTCOME_PASSED;
                    case FAILED -> CheckOutcome.CHECK_OUTCOME_FAILED;
                    case NOT_APPLICABLE -> CheckOutcome.CHECK_OUTCOME_NOT_APPLICABLE;
                }).setDetail(c.detail()).build();
    }
}
