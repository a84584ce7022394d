package org.relance.cart.persistence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Multi;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.relance.cart.domain.PageKind;
import org.relance.cart.domain.PageView;
import org.relance.kit.db.Database;
import org.relance.kit.events.EventLog;
import reactor.core.publisher.Mono;

/**
 * The page event log ({@code page_event}): raw page views and visitor links in one sequence, so
 * that a consumer applying it in order attributes every view to the right contact. The views are
 * also what ListPageViews reads; retention and erasure delete them.
 */
@Singleton
public class PageEventLog {
    /** Event type codes. */
    public static final int VIEWED = 1;
    public static final int VISITOR_LINKED = 2;

    private static final ObjectMapper JSON = new ObjectMapper();
    private final EventLog log;

    public PageEventLog(Database database) {
        this.log = new EventLog(database, "page_event", "visitor_id", "view");
    }

    /** A stored page event: a view, or a link of {@code visitorId} to {@code contactId}. */
    public record PageEvent(long sequence, int type, Instant occurTime, String storeId, String visitorId, String contactId,
                            PageView view) {
    }

    void start(@Observes StartupEvent event) {
        log.start();
    }

    void stop(@Observes ShutdownEvent event) {
        log.stop();
    }

    /** Appends views in the caller's transaction. Append page events before cart events (lock order). */
    Mono<Long> appendViews(Connection c, List<PageView> views, Instant now) {
        List<EventLog.NewEvent> rows = new ArrayList<>(views.size());
        for (PageView v : views) {
            rows.add(new EventLog.NewEvent(VIEWED, now, v.storeId(), v.visitorId(), viewJson(v)));
        }
        return log.append(c, rows);
    }

    /** Appends a visitor link in the caller's transaction (before its cart events: lock order). */
    Mono<Long> appendLink(Connection c, String storeId, String visitorId, String contactId, Instant now) {
        ObjectNode n = JSON.createObjectNode();
        n.put("store_id", storeId);
        n.put("visitor_id", visitorId);
        n.put("contact_id", contactId);
        return log.append(c, List.of(new EventLog.NewEvent(VISITOR_LINKED, now, storeId, visitorId, n.toString())));
    }

    /** Every event after {@code afterSequence} (optionally of one store), then new ones as they commit. */
    public Multi<PageEvent> watch(long afterSequence, String storeId) {
        return log.watch(afterSequence, storeId, e -> parse(e.sequence(), e.type(), e.occurTime(), e.payload()));
    }

    static String viewJson(PageView v) {
        ObjectNode n = JSON.createObjectNode();
        n.put("store_id", v.storeId());
        n.put("visitor_id", v.visitorId());
        n.put("view_id", v.viewId());
        n.put("url", v.url());
        n.put("referrer", v.referrer());
        n.put("title", v.title());
        n.put("view_time", v.viewTime().toString());
        n.put("site_id", v.siteId());
        if (v.contactId() != null) {
            n.put("contact_id", v.contactId());
        }
        n.put("kind", v.kind().name());
        return n.toString();
    }

    /** Reads a stored payload back (it names its store and visitor). */
    static PageEvent parse(long sequence, int type, Instant occurTime, String payload) {
        JsonNode n;
        try {
            n = JSON.readTree(payload);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        String storeId = n.path("store_id").asText(null);
        String visitorId = n.path("visitor_id").asText(null);
        String contactId = n.hasNonNull("contact_id") ? n.get("contact_id").asText() : null;
        PageView view = type == VIEWED ? view(n, storeId, visitorId, contactId) : null;
        return new PageEvent(sequence, type, occurTime, storeId, visitorId, contactId, view);
    }

    static PageView view(JsonNode n, String storeId, String visitorId, String contactId) {
        return new PageView(n.path("view_id").asText(), n.path("url").asText(), n.path("referrer").asText(""),
                n.path("title").asText(""), Instant.parse(n.path("view_time").asText()), storeId,
                n.path("site_id").asText(null), visitorId, contactId, PageKind.valueOf(n.path("kind").asText("OTHER")));
    }
}
