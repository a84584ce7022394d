package org.relance.transaction.imports;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.ZoneId;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.relance.kit.db.Database;
import org.relance.kit.db.Reactive;
import org.relance.kit.error.RuleViolationException;
import org.relance.kit.error.Violations;
import org.relance.transaction.catalog.persistence.CatalogRequests;
import org.relance.transaction.persistence.StoreDirectory;

/**
 * Runs CSV imports: checks the settings and the store, answers a repeated request id with its first
 * summary, and runs each import on a worker thread of its own (at most
 * {@code relance.import.max-concurrent} at once).
 */
@Singleton
public class RecordImporter {
    /** Reason of the refusal of transactions and items imports while no {@link TransactionImportTarget} exists. */
    public static final String NOT_AVAILABLE = "IMPORT_NOT_AVAILABLE";

    private final Database database;
    private final CatalogRequests requests;
    private final StoreDirectory stores;
    private final Instance<TransactionImportTarget> targets;
    private final ImportConfig config;
    private final Clock clock;
    private final MeterRegistry registry;
    private final ThreadPoolExecutor workers;

    /**
     * An import ready to run.
     *
     * @param previous the summary of the import that already used this request id, or null
     */
    public record Plan(ImportSettings settings, byte[] fingerprint, StoreDirectory.KnownStore store, ImportSummary previous) {
    }

    public RecordImporter(Database database, CatalogRequests requests, StoreDirectory stores,
                          Instance<TransactionImportTarget> targets, ImportConfig config, Clock clock, MeterRegistry registry) {
        this.database = database;
        this.requests = requests;
        this.stores = stores;
        this.targets = targets;
        this.config = config;
        this.clock = clock;
        this.registry = registry;
        AtomicInteger threads = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(0, Math.max(1, config.maxConcurrent()), 60, TimeUnit.SECONDS,
                new SynchronousQueue<>(), task -> {
                    Thread t = new Thread(task, "relance-import-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Checks {@code settings} (INVALID_ARGUMENT), that this server imports their kind
     * (FAILED_PRECONDITION {@value #NOT_AVAILABLE}), the store (NOT_FOUND) and whether the request
     * id was used (ALREADY_EXISTS with other settings).
     *
     * @param fingerprint digest of the settings but the request id
     */
    public Uni<Plan> plan(ImportSettings settings, byte[] fingerprint) {
        return Uni.createFrom().item(() -> {
                    Violations v = new Violations();
                    settings.check(v);
                    v.throwIfAny();
                    if ((settings.kind() == ImportKind.TRANSACTIONS || settings.kind() == ImportKind.ITEMS) && !targets.isResolvable()) {
                        throw new RuleViolationException(NOT_AVAILABLE, "importing " + settings.kind().name().toLowerCase()
                                + " is not available on this server");
                    }
                    return settings;
                })
                .chain(s -> stores.get(s.storeId()))
                .chain(store -> Reactive.uni(requests.previous(settings.storeId(), settings.requestId(), fingerprint, ImportSummary.class))
                        .map(previous -> new Plan(settings, fingerprint, store, previous.orElse(null))));
    }

    /**
     * Starts the import of a plan without a previous summary; the listener hears how it goes.
     *
     * @throws ImportsBusyException when as many imports as allowed run already
     */
    public void start(Plan plan, ChunkPipe file, ImportListener listener) {
        if (plan.previous() != null) {
            throw new IllegalArgumentException("this import ran already");
        }
        try {
            workers.execute(job(plan, file, measured(plan.settings().kind(), listener)));
        } catch (RejectedExecutionException e) {
            throw new ImportsBusyException(workers.getMaximumPoolSize());
        }
    }

    private RecordImport<?> job(Plan plan, ChunkPipe file, ImportListener listener) {
        ImportSettings s = plan.settings();
        String currency = Optional.ofNullable(s.defaultCurrencyCode()).orElse(plan.store().currencyCode());
        RowReader.Context context = new RowReader.Context(s.storeId(), currency, ZoneId.of(plan.store().timeZone()),
                s.decimalSeparator(), s.keyMode());
        return switch (s.kind()) {
            case PRODUCTS -> job(plan, new ProductRowReader(context), CatalogBatchWriters.products(s.storeId(), clock), file, listener);
            case CATEGORIES -> job(plan, new CategoryRowReader(context), CatalogBatchWriters.categories(s.storeId(), clock), file,
                    listener);
            case TRANSACTIONS -> job(plan, new TransactionRowReader(context),
                    CatalogBatchWriters.transactions(targets.get(), s.storeId(), s.keyMode()), file, listener);
            case ITEMS -> job(plan, new ItemRowReader(context), CatalogBatchWriters.items(targets.get(), s.storeId(), s.keyMode()),
                    file, listener);
        };
    }

    private <T> RecordImport<T> job(Plan plan, RowReader<T> reader, BatchWriter<T> writer, ChunkPipe file, ImportListener listener) {
        return new RecordImport<>(plan, reader, writer, file, listener, database, requests, config.batchSize(), config.maxRowLength());
    }

    /** Counts imports and their rows ({@code relance_import_runs_total}, {@code relance_import_rows_total}). */
    private ImportListener measured(ImportKind kind, ImportListener listener) {
        String tag = kind.name().toLowerCase();
        return new ImportListener() {
            @Override
            public void progress(ImportProgress progress) {
                listener.progress(progress);
            }

            @Override
            public void completed(ImportSummary s) {
                registry.counter("relance.import.runs", "kind", tag, "outcome", s.applied() ? "applied" : "refused").increment();
                registry.counter("relance.import.rows", "kind", tag, "outcome", "inserted").increment(s.inserted());
                registry.counter("relance.import.rows", "kind", tag, "outcome", "updated").increment(s.updated());
                registry.counter("relance.import.rows", "kind", tag, "outcome", "unchanged").increment(s.unchanged());
                registry.counter("relance.import.rows", "kind", tag, "outcome", "rejected").increment(s.rejected());
                listener.completed(s);
            }

            @Override
            public void failed(Throwable failure) {
                registry.counter("relance.import.runs", "kind", tag, "outcome", "failed").increment();
                listener.failed(failure);
            }
        };
    }

    void onStop(@Observes ShutdownEvent event) {
        // Interrupted imports roll back (all-or-nothing) or keep the batches committed so far.
        workers.shutdownNow();
    }
}
