package org.relance.transaction.imports;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/** The first rejections of an import by line, at most a given number, whatever the order they are found in. */
final class Rejections {
    private record Entry(RowRejection rejection, long order) {
    }

    private static final Comparator<Entry> FILE_ORDER = Comparator.<Entry>comparingLong(e -> e.rejection().line())
            .thenComparingLong(Entry::order);

    private final int max;
    private final PriorityQueue<Entry> kept;
    private long order;

    Rejections(int max) {
        this.max = max;
        this.kept = new PriorityQueue<>(Math.min(max, 64) + 1, FILE_ORDER.reversed());
    }

    void add(RowRejection rejection) {
        kept.add(new Entry(rejection, order++));
        if (kept.size() > max) {
            kept.poll();
        }
    }

    /** The rejections kept, in file order. */
    List<RowRejection> inFileOrder() {
        List<Entry> entries = new ArrayList<>(kept);
        entries.sort(FILE_ORDER);
        return entries.stream().map(Entry::rejection).toList();
    }
}
