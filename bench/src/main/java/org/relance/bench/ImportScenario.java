package org.relance.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.relance.api.transaction.v1.CatalogServiceGrpc;
import org.relance.api.transaction.v1.ImportKind;
import org.relance.api.transaction.v1.ImportRecordsRequest;
import org.relance.api.transaction.v1.ImportRecordsResponse;
import org.relance.api.transaction.v1.ImportSettings;
import org.relance.api.transaction.v1.ImportSummary;
import org.relance.kit.grpc.BearerToken;

/**
 * A CSV file of products imported through CatalogService.ImportRecords (client streaming in
 * chunks, with gRPC flow control) against {@code COPY product FROM STDIN} of the same file into a
 * fresh copy of the product table, on the same PostgreSQL.
 */
final class ImportScenario {
    static final String STORE = "bench";

    private final Path work;
    private final Path root = Bench.root();
    private final int rows = Bench.intProp("bench.import.rows", 1_000_000);
    private final int chunkBytes = Bench.intProp("bench.import.chunk", 256 * 1024);
    private final double goalRatio = 0.5;

    ImportScenario(Path work) {
        this.work = work;
    }

    Report run() {
        Report report = new Report("import");
        Path csv = work.resolve("products.csv");
        long bytes = writeCsv(csv);
        System.out.printf("bench: %s: %,d products, %,d bytes%n", csv, rows, bytes);
        try (Postgres pg = Postgres.start(work)) {
            System.out.println("bench: " + pg.version() + " on port " + pg.port() + " (data in " + work + ")");
            pg.createDatabase("relance_cart");
            pg.createDatabase("relance_transaction");

            ImportSummary summary;
            double serviceSeconds;
            String serviceCpu;
            try (CartService cart = CartService.external(root, work.resolve("cart-service.log"), pg.serviceUrl("relance_cart"),
                    Map.of("RELANCE_CART_SWEEP_INTERVAL", "off", "RELANCE_CART_PURGE_INTERVAL", "off"))) {
                cart.awaitReady(Duration.ofSeconds(90));
                try (TransactionService service = TransactionService.start(root, work.resolve("transaction-service.log"),
                        pg.serviceUrl("relance_transaction"), cart.port())) {
                    long ready = service.awaitReady(Duration.ofSeconds(90));
                    System.out.printf("bench: transaction service ready in %.2f s (pid %d, port %d)%n", ready / 1e9,
                            service.pid(), service.port());
                    TransactionService.createStore(cart, STORE);
                    ManagedChannel channel = service.channel();
                    try {
                        System.out.printf("bench: ImportRecords, IMPORT_KIND_PRODUCTS, chunks of %,d bytes%n", chunkBytes);
                        CpuMonitor.awaitQuiet("the import");
                        try (CpuMonitor cpu = new CpuMonitor(Map.of("postgres", () -> Procs.tree(pg.pid()),
                                "service", () -> java.util.List.of(service.pid()),
                                "load", () -> java.util.List.of(ProcessHandle.current().pid())))) {
                            long start = System.nanoTime();
                            summary = importFile(channel, csv);
                            serviceSeconds = (System.nanoTime() - start) / 1e9;
                            cpu.close();
                            serviceCpu = cpu.describe();
                        }
                    } finally {
                        TransactionService.shutdown(channel);
                    }
                }
            }
            System.out.printf("bench: service import: %.2f s, %,.0f rows/s; summary: rows %d inserted %d updated %d unchanged %d "
                            + "rejected %d applied %s%n", serviceSeconds, rows / serviceSeconds, summary.getRowCount(),
                    summary.getInsertedCount(), summary.getUpdatedCount(), summary.getUnchangedCount(), summary.getRejectedCount(),
                    summary.getApplied());
            long stored = count(pg, "relance_transaction", "SELECT count(*) FROM product WHERE store_id = '" + STORE + "'");
            if (summary.getInsertedCount() != rows || summary.getRejectedCount() != 0 || stored != rows) {
                throw new IllegalStateException("the import stored " + stored + " products, summary " + summary);
            }

            // COPY of the same file into a fresh copy of the product table (same constraints and indexes).
            pg.execute("relance_transaction",
                    "CREATE TABLE product_copy (LIKE product INCLUDING ALL)",
                    "ALTER TABLE product_copy ALTER store_id SET DEFAULT '" + STORE + "', ALTER currency_code SET DEFAULT 'EUR', "
                            + "ALTER create_time SET DEFAULT now(), ALTER update_time SET DEFAULT now()",
                    "CHECKPOINT");
            double copySeconds;
            String copyCpu;
            CpuMonitor.awaitQuiet("COPY");
            try (CpuMonitor cpu = new CpuMonitor(Map.of("postgres", () -> Procs.tree(pg.pid()),
                    "load", () -> java.util.List.of(ProcessHandle.current().pid())));
                 Connection c = pg.connect("relance_transaction");
                 Reader in = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
                CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
                long start = System.nanoTime();
                long n = copy.copyIn("COPY product_copy (product_id, name, unit_price, category_id) FROM STDIN "
                        + "WITH (FORMAT csv, HEADER true)", in);
                copySeconds = (System.nanoTime() - start) / 1e9;
                cpu.close();
                copyCpu = cpu.describe();
                if (n != rows) {
                    throw new IllegalStateException("COPY wrote " + n + " rows, expected " + rows);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            System.out.printf("bench: COPY: %.2f s, %,.0f rows/s%n", copySeconds, rows / copySeconds);

            double service = rows / serviceSeconds;
            double baseline = rows / copySeconds;
            report.row(String.format("products imported/s, ImportRecords, %,d rows (%d MB CSV, chunks of %d KiB)", rows,
                            bytes / 1_000_000, chunkBytes / 1024),
                    String.format("%,.0f (%.2f s)", service, serviceSeconds),
                    String.format("%,.0f (%.2f s, COPY FROM STDIN into a fresh product table)", baseline, copySeconds),
                    Report.ratio(service / baseline), "≥ " + goalRatio, service >= goalRatio * baseline);
            report.note("CPU (cores) during the import: " + serviceCpu + "; during COPY: " + copyCpu + ".");
            report.note(String.format("Summary of the import: %,d rows, %,d inserted, %,d rejected; %,d products stored.",
                    summary.getRowCount(), summary.getInsertedCount(), summary.getRejectedCount(), stored));
            report.note("CSV columns product_id,name,unit_price,category_id with a header; the store's currency (EUR). "
                    + "COPY goes into `product_copy` (LIKE product INCLUDING ALL: same primary key, index and check), with "
                    + "defaults for store_id, currency_code and the times.");
        }
        return report;
    }

    private long writeCsv(Path csv) {
        try (BufferedWriter w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            w.write("product_id,name,unit_price,category_id\n");
            for (int i = 1; i <= rows; i++) {
                w.write("p-" + i + ",Product " + i + "," + (i % 100) + "." + String.format("%02d", i % 97) + ",k" + (i % 50) + "\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return Files.size(csv);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long count(Postgres pg, String database, String sql) {
        try (Connection c = pg.connect(database); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Streams the file (settings first, then chunks, only while the call is ready); returns the summary. */
    private ImportSummary importFile(ManagedChannel channel, Path csv) {
        CatalogServiceGrpc.CatalogServiceStub stub = CatalogServiceGrpc.newStub(channel)
                .withCallCredentials(new BearerToken(CartService.TOKEN));
        ImportSummary[] summary = new ImportSummary[1];
        Throwable[] error = new Throwable[1];
        CountDownLatch done = new CountDownLatch(1);
        Object ready = new Object();
        @SuppressWarnings("unchecked")
        ClientCallStreamObserver<ImportRecordsRequest>[] call = new ClientCallStreamObserver[1];
        stub.importRecords(new ClientResponseObserver<ImportRecordsRequest, ImportRecordsResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<ImportRecordsRequest> requests) {
                call[0] = requests;
                requests.setOnReadyHandler(() -> {
                    synchronized (ready) {
                        ready.notifyAll();
                    }
                });
            }

            @Override
            public void onNext(ImportRecordsResponse response) {
                if (response.hasSummary()) {
                    summary[0] = response.getSummary();
                }
            }

            @Override
            public void onError(Throwable t) {
                error[0] = t;
                end();
            }

            @Override
            public void onCompleted() {
                end();
            }

            private void end() {
                done.countDown();
                synchronized (ready) {
                    ready.notifyAll();
                }
            }
        });
        call[0].onNext(ImportRecordsRequest.newBuilder().setSettings(ImportSettings.newBuilder()
                .setRequestId("bench-" + System.currentTimeMillis()).setStoreId(STORE)
                .setKind(ImportKind.IMPORT_KIND_PRODUCTS)).build());
        try (InputStream in = Files.newInputStream(csv)) {
            byte[] buffer = new byte[chunkBytes];
            while (done.getCount() > 0) {
                int n = in.readNBytes(buffer, 0, buffer.length);
                if (n <= 0) {
                    break;
                }
                synchronized (ready) {
                    while (!call[0].isReady() && done.getCount() > 0) {
                        ready.wait(100);
                    }
                }
                if (done.getCount() == 0) {
                    break;
                }
                call[0].onNext(ImportRecordsRequest.newBuilder().setChunk(ByteString.copyFrom(buffer, 0, n)).build());
            }
            if (done.getCount() > 0) {
                call[0].onCompleted();
            }
            if (!done.await(Math.max(30, Bench.secondsLeft() - 30), TimeUnit.SECONDS)) {
                call[0].cancel("out of time", null);
                throw new IllegalStateException("the import did not end in time");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (error[0] != null) {
            throw new IllegalStateException("ImportRecords failed: " + (error[0] instanceof StatusRuntimeException s ? s.getStatus() : error[0]),
                    error[0]);
        }
        if (summary[0] == null) {
            throw new IllegalStateException("ImportRecords ended without a summary");
        }
        return summary[0];
    }
}
