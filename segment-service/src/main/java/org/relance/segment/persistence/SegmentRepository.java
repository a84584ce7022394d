package org.relance.segment.persistence;

import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.error.NotFoundException;
import org.relance.segment.domain.Condition;
import org.relance.segment.domain.Contact;
import org.relance.segment.domain.SegmentQuery;

/** Segment questions, answered from contact_fact: count, pages of ids, one contact's match. */
@Singleton
public class SegmentRepository {
    private final Database database;

    public SegmentRepository(Database database) {
        this.database = database;
    }

    public Uni<Long> count(Condition condition, String storeId) {
        java.util.Optional<SegmentQuery.FactScan> scan = SegmentQuery.factScan(condition, storeId, 1);
        if (scan.isPresent()) {
            // One scan of the scope's facts (each fact row belongs to a contact: facts are written
            // only for contacts, and erasure removes both in one transaction). When contacts
            // without facts match too, count the complement instead: every contact minus the
            // fact rows where the condition fails, which is the smaller, indexed side for
            // questions such as "has not recovered".
            String sql;
            List<Object> args;
            if (!scan.get().matchesWithoutFacts()) {
                sql = "SELECT count(*) AS n FROM contact_fact f WHERE " + scan.get().predicate();
                args = scan.get().parameters();
            } else {
                SegmentQuery.FactScan fails = SegmentQuery.factScan(new Condition.Not(condition), storeId, 1).orElseThrow();
                sql = "SELECT (SELECT count(*) FROM contact) - (SELECT count(*) FROM contact_fact f WHERE " + fails.predicate() + ") AS n";
                args = fails.parameters();
            }
            return Reactive.uni(database.withConnection(c -> Sql.query(c, sql, row -> row.get("n", Long.class), args.toArray())).next());
        }
        SegmentQuery q = SegmentQuery.compile(condition, storeId, 1);
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT count(*) AS n FROM contact c WHERE " + q.predicate(),
                row -> row.get("n", Long.class), q.parameters().toArray())).next());
    }

    /** Matching contact ids after {@code afterId}, by id. */
    public Uni<List<String>> ids(Condition condition, String storeId, String afterId, int limit) {
        java.util.Optional<SegmentQuery.FactScan> scan = SegmentQuery.factScan(condition, storeId, 2);
        if (scan.isPresent() && !scan.get().matchesWithoutFacts()) {
            // Only contacts with a fact row can match: page through the facts by contact id, so
            // each page starts where the last ended (the primary key is (contact_id, scope)).
            List<Object> args = new ArrayList<>();
            args.add(afterId);
            args.addAll(scan.get().parameters());
            return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT f.contact_id FROM contact_fact f WHERE f.contact_id > $1 AND "
                            + scan.get().predicate() + " ORDER BY f.contact_id LIMIT " + limit, row -> row.get("contact_id", String.class),
                    args.toArray())).collectList());
        }
        // A page reads contacts in id order until it is full: visited-URL leaves sum each one's counts
        // (the set of every match would be recomputed for every page).
        SegmentQuery q = SegmentQuery.compile(condition, storeId, 2, true);
        List<Object> args = new ArrayList<>();
        args.add(afterId);
        args.addAll(q.parameters());
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT c.contact_id FROM contact c WHERE c.contact_id > $1 AND "
                        + q.predicate() + " ORDER BY c.contact_id LIMIT " + limit, row -> row.get("contact_id", String.class),
                args.toArray())).collectList());
    }

    /** Matching contacts after {@code afterId}, by id. */
    public Uni<List<Contact>> contacts(Condition condition, String storeId, String afterId, int limit) {
        SegmentQuery q = SegmentQuery.compile(condition, storeId, 2, true);
        List<Object> args = new ArrayList<>();
        args.add(afterId);
        args.addAll(q.parameters());
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT " + ContactRepository.COLUMNS
                        + " FROM contact c WHERE c.contact_id > $1 AND " + q.predicate() + " ORDER BY c.contact_id LIMIT " + limit,
                ContactRepository::map, args.toArray())).collectList());
    }

    /** Whether one contact matches; NOT_FOUND when it is not a contact. */
    public Uni<Boolean> matches(String contactId, Condition condition, String storeId) {
        SegmentQuery q = SegmentQuery.compile(condition, storeId, 2, true);
        List<Object> args = new ArrayList<>();
        args.add(contactId);
        args.addAll(q.parameters());
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT (" + q.predicate() + ") AS m FROM contact c WHERE c.contact_id = $1",
                        row -> Boolean.TRUE.equals(row.get("m", Boolean.class)), args.toArray())).next()
                .switchIfEmpty(reactor.core.publisher.Mono.error(() -> new NotFoundException("contact " + contactId + " does not exist"))));
    }
}
