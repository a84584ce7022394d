package org.relance.edge.rejections;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import reactor.core.publisher.Mono;

/**
 * The rejected-events table. Writes are grouped: whatever arrived while the previous insert ran
 * goes in one multi-row insert, and each caller of {@link #record} is answered after that commit.
 * Floods ({@link #recordRepeatable}: rate-limited or unknown-key requests) are folded into one
 * row per key, address and reason per insert, with a count, and are not waited for.
 */
@Singleton
public class RejectionLog {
    private static final Logger LOG = Logger.getLogger(RejectionLog.class);
    private static final int MAX_ROWS = 500;

    private record Pending(Rejection rejection, int occurrences, CompletableFuture<Void> done) {
    }

    private final Database database;
    private final MeterRegistry meters;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Rejection> repeatable = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean writing = new AtomicBoolean();

    public RejectionLog(Database database, MeterRegistry meters) {
        this.database = database;
        this.meters = meters;
    }

    /** Stores the rejections; completes once they are committed. */
    public Uni<Void> record(List<Rejection> rejections) {
        if (rejections.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<CompletableFuture<Void>> futures = new ArrayList<>(rejections.size());
        for (Rejection r : rejections) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            futures.add(done);
            count(r);
            queue.add(new Pending(r, 1, done));
        }
        drain();
        return Uni.createFrom().completionStage(CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)));
    }

    /** Stores a rejection that may come in floods; folded with its repeats, not waited for. */
    public void recordRepeatable(Rejection rejection) {
        count(rejection);
        repeatable.add(rejection);
        drain();
    }

    private void count(Rejection r) {
        meters.counter("relance.edge.rejections", "reason", r.reason(), "kind", r.kind()).increment();
    }

    private void drain() {
        if (!writing.compareAndSet(false, true)) {
            return;
        }
        List<Pending> batch = new ArrayList<>();
        Map<String, Pending> folded = new LinkedHashMap<>();
        Rejection r;
        while (folded.size() < MAX_ROWS && (r = repeatable.poll()) != null) {
            folded.merge(r.coalesceKey(), new Pending(r, 1, null),
                    (a, b) -> new Pending(a.rejection(), a.occurrences() + 1, null));
        }
        batch.addAll(folded.values());
        Pending p;
        while (batch.size() < MAX_ROWS && (p = queue.poll()) != null) {
            batch.add(p);
        }
        if (batch.isEmpty()) {
            writing.set(false);
            // Something may have arrived between the polls and the flag.
            if (!queue.isEmpty() || !repeatable.isEmpty()) {
                drain();
            }
            return;
        }
        insert(batch).subscribe().with(
                ignored -> finish(batch, null),
                failure -> finish(batch, failure));
    }

    private void finish(List<Pending> batch, Throwable failure) {
        if (failure != null) {
            LOG.errorf("could not store %d rejected events: %s", batch.size(), failure.toString());
        }
        for (Pending p : batch) {
            if (p.done() != null) {
                if (failure == null) {
                    p.done().complete(null);
                } else {
                    p.done().completeExceptionally(failure);
                }
            }
        }
        writing.set(false);
        if (!queue.isEmpty() || !repeatable.isEmpty()) {
            drain();
        }
    }

    private Uni<Long> insert(List<Pending> batch) {
        int n = batch.size();
        String[][] text = new String[12][n];
        Integer[] status = new Integer[n];
        Integer[] bytes = new Integer[n];
        Integer[] occurrences = new Integer[n];
        for (int i = 0; i < n; i++) {
            Rejection r = batch.get(i).rejection();
            text[0][i] = r.siteKey();
            text[1][i] = r.siteId();
            text[2][i] = r.storeId();
            text[3][i] = r.submitId();
            text[4][i] = r.kind();
            text[5][i] = r.reason();
            text[6][i] = r.field();
            text[7][i] = r.message();
            text[8][i] = r.origin();
            text[9][i] = r.clientAddress();
            text[10][i] = r.payload();
            text[11][i] = r.receiveTime().toString();
            status[i] = r.httpStatus();
            bytes[i] = r.payloadBytes();
            occurrences[i] = batch.get(i).occurrences();
        }
        return Reactive.uni(database.withConnection(c -> Sql.update(c,
                "INSERT INTO rejected_event (site_key, site_id, store_id, submit_id, kind, reason, field, message, origin, "
                        + "client_address, payload, receive_time, http_status, payload_bytes, occurrences) "
                        + "SELECT k, si, st, su, ki, re, fi, me, o, ca, pa, rt::timestamptz, hs, pb, oc FROM unnest("
                        + "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], "
                        + "$9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::int[], $15::int[]) "
                        + "AS t(k, si, st, su, ki, re, fi, me, o, ca, pa, rt, hs, pb, oc)",
                text[0], text[1], text[2], text[3], text[4], text[5], text[6], text[7], text[8], text[9], text[10], text[11],
                status, bytes, occurrences)).next());
    }

    /** A stored rejection with its id and count. */
    public record Stored(long rejectionId, Rejection rejection, int occurrences) {
    }

    /** Rejections of a site (or of a key that names no site, with siteId empty), newest first. */
    public Uni<List<Stored>> list(String siteId, String siteKey, String reason, long beforeId, int limit) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                "SELECT rejection_id, site_key, site_id, store_id, submit_id, kind, reason, field, message, http_status, origin, "
                        + "client_address, payload, payload_bytes, receive_time, occurrences FROM rejected_event "
                        + "WHERE (($1::text <> '' AND site_id = $1) OR ($1::text = '' AND site_key = $2)) "
                        + "AND ($3::text = '' OR reason = $3) AND rejection_id < $4 ORDER BY rejection_id DESC LIMIT " + limit,
                row -> new Stored(row.get("rejection_id", Long.class), new Rejection(row.get("site_key", String.class),
                        row.get("site_id", String.class), row.get("store_id", String.class), row.get("submit_id", String.class),
                        row.get("kind", String.class), row.get("reason", String.class), row.get("field", String.class),
                        row.get("message", String.class), row.get("http_status", Integer.class), row.get("origin", String.class),
                        row.get("client_address", String.class), row.get("payload", String.class),
                        row.get("payload_bytes", Integer.class), Sql.instant(row, "receive_time")),
                        row.get("occurrences", Integer.class)),
                siteId, siteKey, reason, beforeId)).collectList());
    }

    /** How many events of a site were refused (repeats included), per reason. */
    public Uni<Map<String, Long>> countByReason(String siteId, String siteKey, Instant since) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "SELECT reason, sum(occurrences)::bigint AS n FROM rejected_event "
                                + "WHERE (($1::text <> '' AND site_id = $1) OR ($1::text = '' AND site_key = $2)) AND receive_time >= $3 "
                                + "GROUP BY reason ORDER BY reason",
                        row -> Map.entry(row.get("reason", String.class), row.get("n", Long.class)), siteId, siteKey, since))
                .collectList()
                .map(entries -> {
                    Map<String, Long> counts = new LinkedHashMap<>();
                    entries.forEach(e -> counts.put(e.getKey(), e.getValue()));
                    return counts;
                })
                .switchIfEmpty(Mono.just(Map.of())));
    }
}
