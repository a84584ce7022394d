package org.relance.cart.persistence;

import io.r2dbc.spi.Connection;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.List;
import org.relance.cart.domain.PageView;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import reactor.core.publisher.Mono;

/** Reading raw page views and deleting them at the end of their retention. */
@Singleton
public class PageViewRepository {
    private final Database database;

    public PageViewRepository(Database database) {
        this.database = database;
    }

    /**
     * A page of a visitor's or a contact's views, newest first. A contact's views are those of
     * its linked visitors and those recorded with its id; each carries the contact it belongs to now.
     */
    public Uni<List<PageView>> list(String storeId, String contactId, String visitorId, int limit, int offset) {
        String where = contactId != null
                ? "e.store_id = $1 AND e.event_type = 1 AND (e.visitor_id IN (SELECT visitor_id FROM visitor_contact "
                        + "WHERE store_id = $1 AND contact_id = $2) OR (e.view ? 'contact_id' AND e.view ->> 'contact_id' = $2))"
                : "e.store_id = $1 AND e.event_type = 1 AND e.visitor_id = $2";
        String sql = "SELECT e.view::text AS view, l.contact_id AS linked FROM page_event e "
                + "LEFT JOIN visitor_contact l ON l.store_id = e.store_id AND l.visitor_id = e.visitor_id "
                + "WHERE " + where + " ORDER BY e.sequence DESC LIMIT " + limit + " OFFSET " + offset;
        return Reactive.uni(database.withConnection(c -> Sql.query(c, sql, row -> {
                    PageView v = PageEventLog.parse(0, PageEventLog.VIEWED, Instant.EPOCH, row.get("view", String.class)).view();
                    String linked = row.get("linked", String.class);
                    return linked == null || linked.equals(v.contactId()) ? v
                            : new PageView(v.viewId(), v.url(), v.referrer(), v.title(), v.viewTime(), v.storeId(), v.siteId(),
                                    v.visitorId(), linked, v.kind());
                }, storeId, contactId != null ? contactId : visitorId))
                .collectList());
    }

    /** Deletes up to {@code limit} page events of a store recorded before {@code cutoff}; returns how many. */
    public Mono<Long> purge(Connection c, String storeId, Instant cutoff, int limit) {
        return Sql.update(c, "DELETE FROM page_event WHERE sequence IN (SELECT sequence FROM page_event "
                + "WHERE store_id = $1 AND occur_time < $2 ORDER BY occur_time LIMIT $3)", storeId, cutoff, limit);
    }
}
