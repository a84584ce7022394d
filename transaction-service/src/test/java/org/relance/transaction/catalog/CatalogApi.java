package org.relance.transaction.catalog;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.api.common.v1.Money;
import org.relance.api.transaction.v1.CatalogServiceGrpc;
import org.relance.api.transaction.v1.ImportProgress;
import org.relance.api.transaction.v1.ImportRecordsRequest;
import org.relance.api.transaction.v1.ImportRecordsResponse;
import org.relance.api.transaction.v1.ImportSettings;
import org.relance.api.transaction.v1.ImportSummary;
import org.relance.kit.grpc.BearerToken;
import org.relance.kit.grpc.Moneys;
import org.relance.transaction.support.CartServiceProcess;

/**
 * A real gRPC client of the running test application (loopback socket, bearer token), and of the
 * real cart service for the stores.
 */
public final class CatalogApi implements AutoCloseable {
    public static final String TOKEN = "test-token";

    public final ManagedChannel channel;
    public final ManagedChannel cartChannel;
    public final CatalogServiceGrpc.CatalogServiceBlockingStub catalog;
    public final CatalogServiceGrpc.CatalogServiceStub async;
    public final StoreServiceGrpc.StoreServiceBlockingStub stores;

    public CatalogApi() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        catalog = CatalogServiceGrpc.newBlockingStub(channel).withCallCredentials(new BearerToken(TOKEN));
        async = CatalogServiceGrpc.newStub(channel).withCallCredentials(new BearerToken(TOKEN));
        cartChannel = ManagedChannelBuilder.forAddress("localhost", CartServiceProcess.port()).usePlaintext().build();
        stores = StoreServiceGrpc.newBlockingStub(cartChannel).withCallCredentials(new BearerToken(CartServiceProcess.TOKEN));
    }

    /** A new store of the cart service with its own id. */
    public String newStore(String currencyCode) {
        String id = newId("st-");
        stores.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder()
                .setStoreId(id).setDisplayName("Test " + id).setCurrencyCode(currencyCode).setTimeZone("Europe/Paris")).build());
        return id;
    }

    public static String newId(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 12);
    }

    public static Money money(String amount, String currencyCode) {
        return Moneys.toMoney(new BigDecimal(amount), currencyCode);
    }

    public static BigDecimal decimal(Money money) {
        return BigDecimal.valueOf(money.getUnits()).add(BigDecimal.valueOf(money.getNanos(), 9)).stripTrailingZeros();
    }

    /** The field violations a refused call carried. */
    public static List<BadRequest.FieldViolation> violations(Throwable e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null) {
            return List.of();
        }
        return status.getDetailsList().stream().filter(d -> d.is(BadRequest.class)).flatMap(d -> {
            try {
                return d.unpack(BadRequest.class).getFieldViolationsList().stream();
            } catch (InvalidProtocolBufferException ex) {
                throw new IllegalStateException(ex);
            }
        }).toList();
    }

    /** The google.rpc.ErrorInfo reason of a refused call. */
    public static String reason(Throwable e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null) {
            return "";
        }
        return status.getDetailsList().stream().filter(d -> d.is(com.google.rpc.ErrorInfo.class)).map(d -> {
            try {
                return d.unpack(com.google.rpc.ErrorInfo.class).getReason();
            } catch (InvalidProtocolBufferException ex) {
                throw new IllegalStateException(ex);
            }
        }).findFirst().orElse("");
    }

    /** What an import answered: its progress messages and its summary, or the status it failed with. */
    public record ImportOutcome(List<ImportProgress> progress, ImportSummary summary, StatusRuntimeException error) {
        /** The summary; fails when the import failed. */
        public ImportSummary ok() {
            if (error != null) {
                throw error;
            }
            return summary;
        }
    }

    /** Imports a small file given as text, in chunks of {@code chunkSize} bytes. */
    public ImportOutcome importText(ImportSettings settings, String file, int chunkSize) {
        byte[] bytes = file.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        List<ByteString> chunks = new ArrayList<>();
        for (int i = 0; i < bytes.length; i += chunkSize) {
            chunks.add(ByteString.copyFrom(bytes, i, Math.min(chunkSize, bytes.length - i)));
        }
        return importChunks(settings, chunks.iterator());
    }

    /**
     * Imports a file given as chunks, sending only while the call is ready (gRPC flow control), as
     * a well-behaved client of a large file would; the chunks are produced as they are sent.
     */
    public ImportOutcome importChunks(ImportSettings settings, Iterator<ByteString> chunks) {
        List<ImportProgress> progress = new ArrayList<>();
        ImportSummary[] summary = new ImportSummary[1];
        StatusRuntimeException[] error = new StatusRuntimeException[1];
        CountDownLatch done = new CountDownLatch(1);
        Object ready = new Object();
        @SuppressWarnings("unchecked")
        ClientCallStreamObserver<ImportRecordsRequest>[] call = new ClientCallStreamObserver[1];
        async.importRecords(new ClientResponseObserver<ImportRecordsRequest, ImportRecordsResponse>() {
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
                if (response.hasProgress()) {
                    progress.add(response.getProgress());
                } else {
                    summary[0] = response.getSummary();
                }
            }

            @Override
            public void onError(Throwable t) {
                error[0] = t instanceof StatusRuntimeException sre ? sre : new StatusRuntimeException(io.grpc.Status.fromThrowable(t));
                done.countDown();
                synchronized (ready) {
                    ready.notifyAll();
                }
            }

            @Override
            public void onCompleted() {
                done.countDown();
                synchronized (ready) {
                    ready.notifyAll();
                }
            }
        });
        call[0].onNext(ImportRecordsRequest.newBuilder().setSettings(settings).build());
        try {
            while (chunks.hasNext() && done.getCount() > 0) {
                synchronized (ready) {
                    while (!call[0].isReady() && done.getCount() > 0) {
                        ready.wait(100);
                    }
                }
                if (done.getCount() == 0) {
                    break;
                }
                call[0].onNext(ImportRecordsRequest.newBuilder().setChunk(chunks.next()).build());
            }
            if (done.getCount() > 0) {
                call[0].onCompleted();
            }
            if (!done.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the import did not end");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return new ImportOutcome(progress, summary[0], error[0]);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        cartChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
