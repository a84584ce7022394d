package org.relance.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks that the SQL a baseline replays is still what the service runs: the shapes of the
 * statements copied from the service's source against those PostgreSQL recorded from the
 * service (pg_stat_statements), so that a change in the service cannot silently leave the
 * baseline comparing something else.
 */
final class Mirror {
    private Mirror() {
    }

    /** Statement text to calls, as pg_stat_statements recorded them for {@code database}. */
    static Map<String, Long> recorded(Postgres pg, String database) {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Connection c = pg.connect("postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT query, calls FROM pg_stat_statements p JOIN pg_database d ON d.oid = p.dbid "
                     + "WHERE d.datname = '" + database + "' ORDER BY calls DESC")) {
            while (rs.next()) {
                out.merge(rs.getString(1), rs.getLong(2), Long::sum);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("pg_stat_statements: " + e.getMessage(), e);
        }
        return out;
    }

    /** The templates (copied SQL) whose shape is not among the recorded statements. */
    static List<String> missing(Map<String, Long> recorded, List<String> templates) {
        List<String> shapes = recorded.keySet().stream().map(SubmitSql::shape).toList();
        List<String> missing = new ArrayList<>();
        for (String t : templates) {
            if (!shapes.contains(SubmitSql.shape(t))) {
                missing.add(oneLine(t));
            }
        }
        return missing;
    }

    /** Recorded statements run at least {@code minCalls} times whose shape is none of the templates. */
    static List<String> unmirrored(Map<String, Long> recorded, List<String> templates, long minCalls) {
        List<String> shapes = templates.stream().map(SubmitSql::shape).toList();
        List<String> out = new ArrayList<>();
        recorded.forEach((sql, calls) -> {
            if (calls >= minCalls && !shapes.contains(SubmitSql.shape(sql)) && !sql.contains("pg_stat_activity")) {
                out.add(String.format("%s (%,d calls)", oneLine(sql), calls));
            }
        });
        return out;
    }

    static String oneLine(String sql) {
        String s = sql.replaceAll("\\s+", " ").trim();
        return s.length() > 90 ? s.substring(0, 90) + "…" : s;
    }
}
