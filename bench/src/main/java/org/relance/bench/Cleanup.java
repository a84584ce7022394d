package org.relance.bench;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Everything the benchmark started, stopped in reverse order on any exit (normal end, exception,
 * SIGTERM or Ctrl-C of the benchmark), so that no service or postmaster is left behind.
 */
final class Cleanup {
    private static final Deque<AutoCloseable> OPEN = new ArrayDeque<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Cleanup::closeAll, "bench-cleanup"));
    }

    private Cleanup() {
    }

    static synchronized void register(AutoCloseable resource) {
        OPEN.push(resource);
    }

    static synchronized void unregister(AutoCloseable resource) {
        OPEN.remove(resource);
    }

    static void closeAll() {
        while (true) {
            AutoCloseable next;
            synchronized (Cleanup.class) {
                next = OPEN.poll();
            }
            if (next == null) {
                return;
            }
            try {
                next.close();
            } catch (Exception e) {
                System.err.println("bench: cleanup of " + next + " failed: " + e);
            }
        }
    }
}
