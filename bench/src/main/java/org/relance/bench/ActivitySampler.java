package org.relance.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

/**
 * Samples pg_stat_activity every few milliseconds for one application's connections, to tell
 * where a write path spends its time: inside PostgreSQL (active, by wait event), waiting for the
 * application inside an open transaction (idle in transaction), or between transactions.
 */
final class ActivitySampler implements AutoCloseable {
    private final Thread thread;
    private final Map<String, Long> counts = new TreeMap<>();
    private volatile boolean running = true;
    private long samples;
    private long inTransaction;

    ActivitySampler(Postgres pg, String database, String application, long delayMillis) {
        thread = new Thread(() -> {
            try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
                Thread.sleep(delayMillis);
                String sql = "SELECT state, coalesce(wait_event_type || ':' || wait_event, 'cpu') FROM pg_stat_activity "
                        + "WHERE datname = current_database() AND application_name = '" + application + "' "
                        + "AND backend_type = 'client backend' AND state <> 'idle' AND query NOT LIKE 'LISTEN%'";
                while (running) {
                    boolean open = false;
                    try (ResultSet rs = s.executeQuery(sql)) {
                        synchronized (this) {
                            samples++;
                            while (rs.next()) {
                                String state = rs.getString(1);
                                String key = state.equals("active") ? "in PostgreSQL (" + rs.getString(2) + ")" : state;
                                counts.merge(key, 1L, Long::sum);
                                open = true;
                            }
                            if (open) {
                                inTransaction++;
                            }
                        }
                    }
                    Thread.sleep(5);
                }
            } catch (SQLException e) {
                System.out.println("bench: activity sampling stopped: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "activity-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** "a transaction open 71% of the time: in PostgreSQL (cpu) 20%, idle in transaction 45%, ...". */
    synchronized String describe() {
        if (samples == 0) {
            return "no samples";
        }
        StringBuilder b = new StringBuilder(String.format("%,d samples; a write transaction open in %.0f%% of them", samples,
                100.0 * inTransaction / samples));
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> b.append(String.format("; %s %.0f%%", e.getKey(), 100.0 * e.getValue() / samples)));
        return b.toString();
    }
}
