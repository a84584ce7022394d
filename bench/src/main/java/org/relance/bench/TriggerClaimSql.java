package org.relance.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The decision baseline: the set-based statements of the service's dispatcher round, copied from
 * NotificationRepository (claimDue for one trigger with a store filter, cancelOvertaken, lease), run
 * from JDBC in a loop on a database holding the same rows, with the service's batch size, each in
 * its own transaction as the service runs them; each leased batch is then marked sent with one
 * set-based UPDATE and one INSERT of the attempts (what recordAttempt writes per notification).
 * What is left out is the per-notification work (the send-time checks, the payload and its
 * catalogue call, the POST): this is how fast the database alone can decide, at the same batch size.
 */
final class TriggerClaimSql {
    private static final Pattern PARAM = Pattern.compile("\\$(\\d+)");
    private static final String COLUMNS = "n.notification_id, n.trigger_id, n.store_id, n.cart_id, n.contact_id, n.episode, n.step, "
            + "n.state, n.skip_reason, n.attempt_count, n.last_error, n.last_status_code, n.due_time, n.create_time, n.last_attempt_time, "
            + "n.next_attempt_time, n.complete_time, n.delivery_start, n.payload";

    /** NotificationRepository.claimDue with TriggerSql.filters for a trigger with only a store: $1 trigger, $2 now, $3 offsets, $4 since, $5 store. */
    static String claimSql(int limit) {
        String due = "(f.abandon_time + s.off::float8 * interval '1 second')";
        String filters = "f.state = 2 AND f.abandon_time IS NOT NULL AND f.contact_id IS NOT NULL AND f.store_id = $5";
        return "INSERT INTO notification (notification_id, trigger_id, store_id, cart_id, contact_id, episode, step, state, due_time, "
                + "create_time, next_attempt_time) "
                + "SELECT 'n-' || gen_random_uuid(), $1, f.store_id, f.cart_id, f.contact_id, f.episode, s.step::int, 1, " + due
                + ", $2::timestamptz, $2::timestamptz "
                + "FROM cart_fact f JOIN contact c ON c.contact_id = f.contact_id "
                + "CROSS JOIN LATERAL unnest($3::bigint[]) WITH ORDINALITY AS s(off, step) "
                + "WHERE " + filters + " AND " + due + " <= $2::timestamptz AND " + due + " >= $4::timestamptz "
                + "AND NOT EXISTS (SELECT 1 FROM notification x WHERE x.trigger_id = $1 AND x.store_id = f.store_id "
                + "AND x.cart_id = f.cart_id AND x.episode = f.episode AND x.step = s.step) "
                + "AND (s.step = 1 OR EXISTS (SELECT 1 FROM notification p WHERE p.trigger_id = $1 AND p.store_id = f.store_id "
                + "AND p.cart_id = f.cart_id AND p.episode = f.episode AND p.step = s.step - 1 AND p.state = 2)) "
                + "ORDER BY " + due + " LIMIT " + limit + " ON CONFLICT DO NOTHING";
    }

    /** NotificationRepository.cancelOvertaken: $1 now. */
    static final String CANCEL = "UPDATE notification n SET state = 3, "
            + "skip_reason = CASE WHEN f.state = 3 THEN 2 WHEN f.state = 1 OR f.episode <> n.episode THEN 3 ELSE 7 END, "
            + "complete_time = $1, next_attempt_time = NULL FROM cart_fact f "
            + "WHERE n.state = 1 AND (n.lease_until IS NULL OR n.lease_until < $1) AND f.store_id = n.store_id AND f.cart_id = n.cart_id "
            + "AND (f.state <> 2 OR f.episode <> n.episode OR EXISTS (SELECT 1 FROM purchase_fact p WHERE p.contact_id = n.contact_id "
            + "AND p.store_id = n.store_id AND p.occur_time > f.update_time))";

    /** NotificationRepository.lease: $1 owner, $2 lease end, $3 now, $4 limit. */
    static final String LEASE = "UPDATE notification n SET lease_owner = $1, lease_until = $2 "
            + "FROM (SELECT notification_id FROM notification WHERE state = 1 AND next_attempt_time <= $3 "
            + "AND (lease_until IS NULL OR lease_until < $3) ORDER BY next_attempt_time LIMIT $4 FOR UPDATE SKIP LOCKED) d "
            + "WHERE n.notification_id = d.notification_id RETURNING " + COLUMNS;

    /** What recordAttempt writes for a 200, for a whole batch at once: $1 ids, $2 attempt time, $3 now. */
    static final String MARK_SENT = "UPDATE notification SET state = 2, attempt_count = attempt_count + 1, last_error = NULL, "
            + "last_status_code = 200, last_attempt_time = $2, next_attempt_time = NULL, complete_time = $3, "
            + "delivery_start = COALESCE(delivery_start, $2), lease_owner = NULL, lease_until = NULL WHERE notification_id = ANY($1)";
    static final String ATTEMPTS = "INSERT INTO notification_attempt (notification_id, attempt, attempt_time, status_code, error, "
            + "duration_millis) SELECT id, 1, $2, 200, NULL, 1 FROM unnest($1::text[]) id ON CONFLICT DO NOTHING";

    /** The loop's outcome. */
    record Result(long sent, int rounds, double seconds, double claimMillisFirst, double claimMillisLast, double claimShare,
                  List<String> planStart, List<String> planMiddle) {
    }

    private TriggerClaimSql() {
    }

    /** Inserts the trigger row the service would have stored for CreateTrigger (state active, store, wait, webhook). */
    static void insertTrigger(Connection c, String triggerId, long waitSeconds, Instant activeSince, String url) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO cart_trigger (trigger_id, store_id, display_name, state, product_ids, "
                + "product_name_contains, category_ids, min_value, max_value, value_currency, wait_seconds, follow_up_seconds, condition, "
                + "quiet_start, quiet_end, quiet_policy, webhook_url, secret_sealed, secret_ref, timeout_millis, active_since, create_time, "
                + "update_time) VALUES (?, ?, 'Bench', 1, '{}', NULL, '{}', NULL, NULL, NULL, ?, '{}', NULL, NULL, NULL, NULL, ?, NULL, "
                + "'RELANCE_WEBHOOK_SECRET_BENCH', 10000, ?, ?, ?)")) {
            OffsetDateTime since = odt(activeSince);
            ps.setString(1, triggerId);
            ps.setString(2, TriggerData.STORE);
            ps.setLong(3, waitSeconds);
            ps.setString(4, url);
            ps.setObject(5, since);
            ps.setObject(6, since);
            ps.setObject(7, since);
            ps.executeUpdate();
        }
    }

    /**
     * Rounds of claim (batch), cancel, lease (batch) and mark sent until {@code expected} are sent
     * or {@code budgetSeconds} are spent; plans of the claim (EXPLAIN ANALYZE, rolled back) at the
     * start and once half are sent.
     */
    static Result run(Connection c, String triggerId, long waitSeconds, Instant since, int batch, long expected, double budgetSeconds)
            throws SQLException {
        c.setAutoCommit(true);
        Object offsets = c.createArrayOf("bigint", new Long[] {waitSeconds});
        String claim = claimSql(batch);
        List<String> planStart = explain(c, claim, triggerId, odt(Instant.now()), offsets, odt(since), TriggerData.STORE);
        List<String> planMiddle = List.of();
        long sent = 0;
        int rounds = 0;
        double claimNanos = 0;
        List<Double> claimMillis = new ArrayList<>();
        long start = System.nanoTime();
        try (PreparedStatement claimPs = prepare(c, claim); PreparedStatement cancelPs = prepare(c, CANCEL);
             PreparedStatement leasePs = prepare(c, LEASE); PreparedStatement markPs = prepare(c, MARK_SENT);
             PreparedStatement attemptsPs = prepare(c, ATTEMPTS)) {
            while (sent < expected && (System.nanoTime() - start) / 1e9 < budgetSeconds) {
                OffsetDateTime now = odt(Instant.now());
                long a = System.nanoTime();
                bind(claimPs, claim, triggerId, now, offsets, odt(since), TriggerData.STORE).executeUpdate();
                long b = System.nanoTime();
                claimNanos += b - a;
                claimMillis.add((b - a) / 1e6);
                bind(cancelPs, CANCEL, now).executeUpdate();
                List<String> ids = new ArrayList<>();
                try (ResultSet rs = bind(leasePs, LEASE, UUID.randomUUID().toString(), odt(Instant.now().plusSeconds(90)), now, batch)
                        .executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
                if (ids.isEmpty()) {
                    break;
                }
                Object idArray = c.createArrayOf("text", ids.toArray(String[]::new));
                OffsetDateTime done = odt(Instant.now());
                c.setAutoCommit(false);
                bind(markPs, MARK_SENT, idArray, now, done).executeUpdate();
                bind(attemptsPs, ATTEMPTS, idArray, now).executeUpdate();
                c.commit();
                c.setAutoCommit(true);
                sent += ids.size();
                rounds++;
                if (planMiddle.isEmpty() && sent >= expected / 2) {
                    planMiddle = explain(c, claim, triggerId, odt(Instant.now()), offsets, odt(since), TriggerData.STORE);
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int k = Math.min(10, claimMillis.size());
        double first = claimMillis.subList(0, k).stream().mapToDouble(Double::doubleValue).average().orElse(0);
        double last = claimMillis.subList(claimMillis.size() - k, claimMillis.size()).stream().mapToDouble(Double::doubleValue).average().orElse(0);
        return new Result(sent, rounds, seconds, first, last, claimNanos / 1e9 / seconds, planStart, planMiddle);
    }

    private static List<String> explain(Connection c, String sql, Object... params) throws SQLException {
        List<String> lines = new ArrayList<>();
        c.setAutoCommit(false);
        try (PreparedStatement ps = prepare(c, "EXPLAIN (ANALYZE, BUFFERS) " + sql)) {
            try (ResultSet rs = bind(ps, sql, params).executeQuery()) {
                while (rs.next()) {
                    lines.add(rs.getString(1));
                }
            }
        } finally {
            // EXPLAIN ANALYZE of an INSERT inserts: roll it back, so that the loop claims every row itself.
            c.rollback();
            c.setAutoCommit(true);
        }
        return lines;
    }

    /** The service's SQL with $n turned into JDBC's '?', in order of appearance (a $n used twice is bound twice). */
    private static PreparedStatement prepare(Connection c, String sql) throws SQLException {
        return c.prepareStatement(PARAM.matcher(sql).replaceAll("?"));
    }

    private static PreparedStatement bind(PreparedStatement ps, String sql, Object... params) throws SQLException {
        Matcher m = PARAM.matcher(sql);
        int i = 1;
        while (m.find()) {
            ps.setObject(i++, params[Integer.parseInt(m.group(1)) - 1]);
        }
        return ps;
    }

    private static OffsetDateTime odt(Instant t) {
        return t.atOffset(ZoneOffset.UTC);
    }
}
