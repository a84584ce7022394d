package org.relance.kit.fuzz;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.relance.kit.db.Database;
import org.relance.kit.db.Sql;

/** Digests of every row of a service's tables, per table: equal digests mean no row changed. */
public final class TableDigest {
    private TableDigest() {
    }

    /**
     * The digest of each table of the current schema but Flyway's history and {@code excluded}, by
     * table name; compare two of them to learn which tables changed.
     */
    public static Map<String, String> of(Database database, Set<String> excluded) {
        List<String> tables = database.withConnection(c -> Sql.query(c,
                        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT LIKE 'flyway%' "
                                + "ORDER BY tablename", row -> row.get("tablename", String.class)))
                .filter(t -> !excluded.contains(t))
                .collectList().block(Duration.ofSeconds(30));
        StringBuilder sql = new StringBuilder();
        for (String t : tables) {
            sql.append(sql.length() == 0 ? "" : " UNION ALL ").append("SELECT '").append(t)
                    .append("' AS t, md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) AS d FROM \"").append(t).append("\" x");
        }
        Map<String, String> digests = new TreeMap<>();
        database.withConnection(c -> Sql.query(c, sql.toString(), row -> digests.put(row.get("t", String.class),
                row.get("d", String.class)) == null)).blockLast(Duration.ofSeconds(30));
        return digests;
    }
}
