package org.relance.segment.notifications;

import java.util.List;
import org.relance.segment.domain.Condition;
import org.relance.segment.domain.SegmentQuery;
import org.relance.segment.grpc.ConditionMapper;
import org.relance.segment.triggers.Trigger;

/**
 * A trigger's filters as one SQL predicate over a cart fact {@code f} joined to its contact
 * {@code c}: what claims and dry runs select with, so that they agree.
 */
final class TriggerSql {
    private TriggerSql() {
    }

    /** The predicate; its parameters are appended to {@code params} (numbered from their position). */
    static String filters(Trigger t, List<Object> params) {
        StringBuilder b = new StringBuilder("f.state = 2 AND f.abandon_time IS NOT NULL AND f.contact_id IS NOT NULL");
        if (!t.storeId().isEmpty()) {
            b.append(" AND f.store_id = ").append(param(params, t.storeId()));
        }
        if (!t.productIds().isEmpty()) {
            b.append(" AND EXISTS (SELECT 1 FROM jsonb_array_elements(f.items) i WHERE i->>'product_id' = ANY(")
                    .append(param(params, t.productIds().toArray(String[]::new))).append("::text[]))");
        }
        if (t.productNameContains() != null && !t.productNameContains().isEmpty()) {
            b.append(" AND EXISTS (SELECT 1 FROM jsonb_array_elements(f.items) i WHERE strpos(lower(i->>'product_name'), lower(")
                    .append(param(params, t.productNameContains())).append("::text)) > 0)");
        }
        if (!t.categoryIds().isEmpty()) {
            b.append(" AND EXISTS (SELECT 1 FROM jsonb_array_elements(f.items) i WHERE i->>'category_id' = ANY(")
                    .append(param(params, t.categoryIds().toArray(String[]::new))).append("::text[]))");
        }
        if (t.minValue() != null || t.maxValue() != null) {
            b.append(" AND f.total IS NOT NULL");
            if (t.valueCurrency() != null) {
                b.append(" AND f.currency_code = ").append(param(params, t.valueCurrency()));
            }
            if (t.minValue() != null) {
                b.append(" AND f.total >= ").append(param(params, t.minValue())).append("::numeric");
            }
            if (t.maxValue() != null) {
                b.append(" AND f.total <= ").append(param(params, t.maxValue())).append("::numeric");
            }
        }
        Condition condition = ConditionMapper.stored(t.condition(), t.storeId());
        if (condition != null) {
            SegmentQuery q = SegmentQuery.compile(condition, t.storeId().isEmpty() ? null : t.storeId(), params.size() + 1);
            params.addAll(q.parameters());
            b.append(" AND (").append(q.predicate()).append(")");
        }
        return b.toString();
    }

    static String param(List<Object> params, Object value) {
        params.add(value);
        return "$" + params.size();
    }
}
