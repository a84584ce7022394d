package org.relance.transaction.imports;

import io.r2dbc.spi.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;
import org.relance.kit.db.Database;
import org.relance.kit.error.InvalidArgumentException;
import org.relance.transaction.catalog.persistence.CatalogRequests;
import reactor.core.publisher.Mono;

/**
 * One import, run on a worker thread: rows are parsed as the file arrives and written a batch at a
 * time (one multi-row statement each), the next batch being parsed while the previous one is
 * written. Memory holds the chunks in the pipe, one row being parsed and two batches.
 *
 * <p>All-or-nothing: one transaction for the whole file; the first rejected row rolls it back and
 * the rest of the file is only checked, to report its problems. Otherwise every batch commits on
 * its own and rejected rows are skipped.
 *
 * @param <T> the record of a row
 */
final class RecordImport<T> implements Runnable {
    private static final Logger LOG = Logger.getLogger(RecordImport.class);
    private static final Duration DATABASE_WAIT = Duration.ofMinutes(5);

    private final RecordImporter.Plan plan;
    private final ImportSettings settings;
    private final RowReader<T> reader;
    private final BatchWriter<T> writer;
    private final ChunkPipe file;
    private final ImportListener listener;
    private final Database database;
    private final CatalogRequests requests;
    private final int batchSize;
    private final int maxRowLength;

    private final Rejections rejections;
    private long rows;
    private long inserted;
    private long updated;
    private long unchanged;
    private long rejected;
    private long nextProgress;
    private boolean poisoned;
    private boolean stoppedEarly;
    private HeaderMap columns;
    private Connection transaction;
    private CompletableFuture<BatchResult> inFlight;
    private List<BatchWriter.Row<T>> batch = new ArrayList<>();
    private Set<Object> keys = new HashSet<>();

    RecordImport(RecordImporter.Plan plan, RowReader<T> reader, BatchWriter<T> writer, ChunkPipe file,
                 ImportListener listener, Database database, CatalogRequests requests, int batchSize, int maxRowLength) {
        this.plan = plan;
        this.settings = plan.settings();
        this.reader = reader;
        this.writer = writer;
        this.file = file;
        this.listener = listener;
        this.database = database;
        this.requests = requests;
        this.batchSize = batchSize;
        this.maxRowLength = maxRowLength;
        this.rejections = new Rejections(settings.maxReportedRejections());
        this.nextProgress = settings.progressInterval();
    }

    @Override
    public void run() {
        long start = System.nanoTime();
        ImportSummary summary;
        try {
            summary = execute();
        } catch (Throwable failure) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            abandonTransaction();
            LOG.infof("import %s of store %s failed after %d rows: %s", settings.requestId(), settings.storeId(), rows,
                    cause.toString());
            listener.failed(cause);
            return;
        }
        LOG.infof("import %s of %s into store %s: %d rows (%d inserted, %d updated, %d unchanged, %d rejected), %d bytes, "
                        + "%s%s in %d ms", settings.requestId(), settings.kind(), settings.storeId(), summary.rowCount(),
                summary.inserted(), summary.updated(), summary.unchanged(), summary.rejected(), file.byteCount(),
                summary.applied() ? "applied" : "not applied", summary.stoppedEarly() ? ", stopped early" : "",
                (System.nanoTime() - start) / 1_000_000);
        listener.completed(summary);
    }

    private ImportSummary execute() throws Exception {
        try (CsvSource source = new CsvSource(file, settings.delimiter(), maxRowLength)) {
            List<String> header;
            try {
                header = source.header();
            } catch (UnreadableFileException e) {
                throw new InvalidArgumentException("header", e.getMessage());
            }
            if (header == null || header.stream().allMatch(String::isBlank)) {
                throw new InvalidArgumentException("header", "the file is empty: its first line must be the header row");
            }
            columns = HeaderMap.resolve(header, settings);
            for (CsvSource.Line line = next(source); line != null; line = next(source)) {
                rows++;
                CsvRow row = new CsvRow(line.number(), line.values(), columns);
                T value = null;
                if (line.values().size() != columns.size()) {
                    row.rowProblem("the row has " + line.values().size() + " fields where the header row has " + columns.size());
                } else if (row.checkText()) {
                    value = reader.read(row);
                }
                if (row.rejected()) {
                    reject(row.problems());
                } else {
                    add(new BatchWriter.Row<>(line.number(), value));
                }
                if (rows >= nextProgress) {
                    long interval = settings.progressInterval();
                    nextProgress = (rows / interval + 1) * interval;
                    listener.progress(new ImportProgress(rows, file.byteCount(), inserted, updated, unchanged, rejected));
                }
            }
            flush();
            settle();
            return finish();
        }
    }

    /** The next row, or null at the end or when the file cannot be read further (a rejection says where). */
    private CsvSource.Line next(CsvSource source) throws ImportAbortedException {
        try {
            return source.next();
        } catch (UnreadableFileException e) {
            rows++;
            stoppedEarly = true;
            reject(List.of(new RowRejection(e.line(), "", e.getMessage())));
            return null;
        }
    }

    private void reject(List<RowRejection> problems) {
        rejected++;
        problems.forEach(rejections::add);
        if (settings.allOrNothing()) {
            poisoned = true;
        }
    }

    private void add(BatchWriter.Row<T> row) {
        Object key = reader.key(row.value());
        if (!keys.add(key)) {
            // A repeated key goes to the next statement, so that the later row wins.
            flush();
            keys.add(key);
        }
        batch.add(row);
        if (batch.size() >= batchSize) {
            flush();
        }
    }

    private void flush() {
        if (batch.isEmpty()) {
            return;
        }
        List<BatchWriter.Row<T>> rowsToWrite = batch;
        batch = new ArrayList<>(Math.min(batchSize, 1024));
        keys = new HashSet<>();
        settle();
        if (!settings.allOrNothing()) {
            inFlight = database.inTransaction(c -> writer.write(rowsToWrite, c)).toFuture();
        } else if (poisoned) {
            abandonTransaction();
        } else {
            if (transaction == null) {
                transaction = database.pool().create().block(DATABASE_WAIT);
                Mono.from(transaction.beginTransaction()).block(DATABASE_WAIT);
            }
            inFlight = writer.write(rowsToWrite, transaction).toFuture();
        }
    }

    /** Waits for the batch being written and counts what it did. */
    private void settle() {
        if (inFlight == null) {
            return;
        }
        BatchResult result = inFlight.join();
        inFlight = null;
        inserted += result.inserted();
        updated += result.updated();
        unchanged += result.unchanged();
        if (!result.rejections().isEmpty()) {
            rejected += result.rejections().stream().mapToLong(RowRejection::line).distinct().count();
            for (RowRejection r : result.rejections()) {
                String column = r.column().isEmpty() ? "" : columns.columnName(r.column());
                rejections.add(new RowRejection(r.line(), column, r.reason()));
            }
            if (settings.allOrNothing()) {
                poisoned = true;
            }
        }
    }

    private ImportSummary finish() {
        boolean applied = !(settings.allOrNothing() && poisoned);
        ImportSummary summary = applied
                ? new ImportSummary(rows, inserted, updated, unchanged, rejected, rejections.inFileOrder(), true, stoppedEarly)
                : new ImportSummary(rows, 0, 0, 0, rejected, rejections.inFileOrder(), false, stoppedEarly);
        if (transaction != null && applied) {
            requests.remember(transaction, settings.storeId(), settings.requestId(), plan.fingerprint(), summary)
                    .then(Mono.from(transaction.commitTransaction()))
                    .block(DATABASE_WAIT);
            close();
        } else {
            abandonTransaction();
            requests.remember(settings.storeId(), settings.requestId(), plan.fingerprint(), summary).block(DATABASE_WAIT);
        }
        return summary;
    }

    /** Rolls back the all-or-nothing transaction, if one is open, once its last write ended. */
    private void abandonTransaction() {
        if (transaction == null) {
            return;
        }
        if (inFlight != null) {
            try {
                inFlight.join();
            } catch (RuntimeException e) {
                // the rollback below undoes it anyway
            }
            inFlight = null;
        }
        try {
            Mono.from(transaction.rollbackTransaction()).block(DATABASE_WAIT);
        } catch (RuntimeException e) {
            LOG.debugf("rollback of import %s failed: %s", settings.requestId(), e.toString());
        }
        close();
    }

    private void close() {
        Connection c = transaction;
        transaction = null;
        try {
            Mono.from(c.close()).block(DATABASE_WAIT);
        } catch (RuntimeException e) {
            LOG.debugf("closing the connection of import %s failed: %s", settings.requestId(), e.toString());
        }
    }
}
