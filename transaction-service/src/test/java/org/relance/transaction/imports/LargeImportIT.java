package org.relance.transaction.imports;

import com.google.protobuf.ByteString;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;
import org.relance.api.transaction.v1.GetProductRequest;
import org.relance.api.transaction.v1.ImportKind;
import org.relance.api.transaction.v1.ImportSettings;
import org.relance.api.transaction.v1.ImportSummary;
import org.relance.api.transaction.v1.Product;
import org.relance.transaction.catalog.CatalogApi;
import org.relance.transaction.support.CartServiceProcess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.relance.transaction.catalog.CatalogApi.decimal;
import static org.relance.transaction.catalog.CatalogApi.newId;

/**
 * A million-row product file, generated while it is sent, streams through with bounded memory:
 * the application runs in this JVM, so its heap (after a collection, sampled every second while
 * the import runs) must stay far below the file's size.
 */
@QuarkusTest
@QuarkusTestResource(CartServiceProcess.class)
class LargeImportIT {
    private static final Logger LOG = Logger.getLogger(LargeImportIT.class);
    private static final int ROWS = 1_000_000;
    private static final int CHUNK = 256 * 1024;
    /** Most the heap may grow while the import runs; the file is over 100 MB. */
    private static final long HEAP_GROWTH_MAX = 32L * 1024 * 1024;

    @Test
    void aMillionRowsStreamWithBoundedMemory() throws Exception {
        try (CatalogApi api = new CatalogApi()) {
            String store = api.newStore("EUR");
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            System.gc();
            long baseline = memory.getHeapMemoryUsage().getUsed();
            AtomicLong peak = new AtomicLong(baseline);
            AtomicBoolean running = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (running.get()) {
                    System.gc();
                    peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-sampler");
            sampler.setDaemon(true);
            sampler.start();

            ProductFile file = new ProductFile(ROWS, CHUNK);
            long start = System.nanoTime();
            CatalogApi.ImportOutcome outcome;
            try {
                outcome = api.importChunks(ImportSettings.newBuilder().setRequestId(newId("big-")).setStoreId(store)
                        .setKind(ImportKind.IMPORT_KIND_PRODUCTS).build(), file);
            } finally {
                running.set(false);
                sampler.interrupt();
                sampler.join();
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            ImportSummary summary = outcome.ok();
            long growth = peak.get() - baseline;
            LOG.infof("imported %d rows (%d MB) in %d ms (%d rows/s); heap %d MB before, peak %d MB during (+%d MB)",
                    summary.getRowCount(), file.bytes() >> 20, millis, summary.getRowCount() * 1000 / Math.max(1, millis),
                    baseline >> 20, peak.get() >> 20, growth >> 20);

            assertThat(file.bytes()).isGreaterThan(100L * 1024 * 1024);
            assertThat(summary.getRowCount()).isEqualTo(ROWS);
            assertThat(summary.getInsertedCount()).isEqualTo(ROWS);
            assertThat(summary.getRejectedCount()).isZero();
            assertThat(outcome.progress()).hasSizeGreaterThanOrEqualTo(50);
            assertThat(growth).as("heap growth while importing a %d MB file", file.bytes() >> 20).isLessThan(HEAP_GROWTH_MAX);

            Product last = api.catalog.getProduct(GetProductRequest.newBuilder().setStoreId(store)
                    .setProductId(ProductFile.id(ROWS)).build()).getProduct();
            assertThat(last.getName()).isEqualTo("Product number " + ROWS);
            assertThat(decimal(last.getUnitPrice())).isEqualByComparingTo(ProductFile.price(ROWS));
        }
    }

    /** The file, produced a chunk at a time as the sender asks for it; never held whole. */
    private static final class ProductFile implements Iterator<ByteString> {
        private final int rows;
        private final int chunkSize;
        private final StringBuilder pending = new StringBuilder();
        private int next;
        private long bytes;
        private boolean headerSent;

        ProductFile(int rows, int chunkSize) {
            this.rows = rows;
            this.chunkSize = chunkSize;
        }

        static String id(int i) {
            return String.format("p%07d", i);
        }

        static String price(int i) {
            return (i % 500) + "." + String.format("%02d", i % 100);
        }

        long bytes() {
            return bytes;
        }

        @Override
        public boolean hasNext() {
            return !headerSent || next < rows || pending.length() > 0;
        }

        @Override
        public ByteString next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            if (!headerSent) {
                pending.append("idProduct,productName,idCategory,url,Price_unit,description\n");
                headerSent = true;
            }
            while (pending.length() < chunkSize && next < rows) {
                int i = ++next;
                String id = id(i);
                pending.append(id).append(",Product number ").append(i).append(",cat-").append(i % 97)
                        .append(",https://shop.example/products/").append(id).append(',').append(price(i))
                        .append(",\"A product, number ").append(i).append("\"\n");
            }
            byte[] chunk = pending.toString().getBytes(StandardCharsets.UTF_8);
            pending.setLength(0);
            bytes += chunk.length;
            return ByteString.copyFrom(chunk);
        }
    }
}
