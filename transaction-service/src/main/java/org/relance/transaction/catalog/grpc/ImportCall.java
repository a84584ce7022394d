package org.relance.transaction.catalog.grpc;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import org.relance.api.transaction.v1.ImportRecordsRequest;
import org.relance.api.transaction.v1.ImportRecordsResponse;
import org.relance.kit.error.InvalidArgumentException;
import org.relance.kit.error.Violations;
import org.relance.kit.grpc.GrpcStatusMapper;
import org.relance.transaction.imports.ChunkPipe;
import org.relance.transaction.imports.ImportListener;
import org.relance.transaction.imports.ImportProgress;
import org.relance.transaction.imports.ImportSettings;
import org.relance.transaction.imports.ImportSummary;
import org.relance.transaction.imports.ImportsBusyException;
import org.relance.transaction.imports.RecordImporter;

/**
 * One ImportRecords call: the bridge between the gRPC stream and the importer, with flow control
 * on the way in. Automatic requests are off: the call asks for the settings, then for as many
 * chunks as the pipe holds, then for one more each time the parser took one, so the bytes the
 * server holds stay bounded however fast the caller sends. Everything touching the call runs on
 * the call's Vert.x context (gRPC calls are not thread-safe); the importer reports from its worker.
 */
final class ImportCall implements StreamObserver<ImportRecordsRequest>, ImportListener {
    private static final int CHUNK_MAX = 1 << 20;

    private final ServerCallStreamObserver<ImportRecordsResponse> out;
    private final RecordImporter importer;
    private final int bufferedChunks;
    private final Duration idleTimeout;
    private final Context context;

    private boolean settingsReceived;
    private boolean inputEnded;
    private boolean closed;
    private ChunkPipe pipe;

    ImportCall(ServerCallStreamObserver<ImportRecordsResponse> out, RecordImporter importer, int bufferedChunks,
               Duration idleTimeout) {
        this.out = out;
        this.importer = importer;
        this.bufferedChunks = bufferedChunks;
        this.idleTimeout = idleTimeout;
        this.context = Vertx.currentContext();
        out.disableAutoRequest();
        out.setOnCancelHandler(() -> onContext(() -> {
            closed = true;
            if (pipe != null) {
                pipe.fail(new CancellationException("the caller cancelled the import"));
            }
        }));
        out.request(1);
    }

    @Override
    public void onNext(ImportRecordsRequest request) {
        onContext(() -> {
            if (closed) {
                return;
            }
            if (!settingsReceived) {
                settingsReceived = true;
                settings(request);
            } else if (request.hasSettings()) {
                fail(new InvalidArgumentException("settings", "only the first message carries the settings"));
            } else if (request.getChunk().size() > CHUNK_MAX) {
                fail(new InvalidArgumentException("chunk", "must be at most " + CHUNK_MAX + " bytes (got "
                        + request.getChunk().size() + ")"));
            } else if (pipe == null || !pipe.offer(request.getChunk())) {
                fail(new IllegalStateException("a chunk arrived that was not asked for"));
            }
        });
    }

    private void settings(ImportRecordsRequest request) {
        if (!request.hasSettings()) {
            fail(new InvalidArgumentException("settings", "the first message must carry the settings"));
            return;
        }
        Violations v = new Violations();
        ImportSettings settings = ImportProtoMapper.toSettings(request.getSettings(), v);
        settings.check(v);
        if (!v.isEmpty()) {
            fail(v.exception());
            return;
        }
        byte[] fingerprint = CatalogProtoMapper.fingerprint(request.getSettings().toBuilder().clearRequestId().build());
        importer.plan(settings, fingerprint).subscribe().with(
                plan -> onContext(() -> begin(plan)),
                failure -> onContext(() -> fail(failure)));
    }

    private void begin(RecordImporter.Plan plan) {
        if (closed) {
            return;
        }
        if (plan.previous() != null) {
            completed(plan.previous());
            return;
        }
        pipe = new ChunkPipe(bufferedChunks, idleTimeout, () -> onContext(() -> {
            if (!closed) {
                out.request(1);
            }
        }));
        try {
            importer.start(plan, pipe, this);
        } catch (ImportsBusyException e) {
            fail(e);
            return;
        }
        if (inputEnded) {
            pipe.complete();
        } else {
            out.request(bufferedChunks);
        }
    }

    @Override
    public void onError(Throwable failure) {
        onContext(() -> {
            closed = true;
            if (pipe != null) {
                pipe.fail(failure);
            }
        });
    }

    @Override
    public void onCompleted() {
        onContext(() -> {
            inputEnded = true;
            if (pipe != null) {
                pipe.complete();
            } else if (!settingsReceived) {
                fail(new InvalidArgumentException("settings", "the first message must carry the settings"));
            }
        });
    }

    @Override
    public void progress(ImportProgress progress) {
        onContext(() -> {
            // Progress is best effort: skipped while the caller does not read, so that it cannot pile up.
            if (!closed && out.isReady()) {
                out.onNext(ImportProtoMapper.toProto(progress));
            }
        });
    }

    @Override
    public void completed(ImportSummary summary) {
        onContext(() -> {
            if (!closed) {
                closed = true;
                out.onNext(ImportProtoMapper.toProto(summary));
                out.onCompleted();
            }
        });
    }

    @Override
    public void failed(Throwable failure) {
        onContext(() -> fail(failure));
    }

    private void fail(Throwable failure) {
        if (closed) {
            return;
        }
        closed = true;
        if (pipe != null) {
            pipe.fail(failure);
        }
        out.onError(failure instanceof ImportsBusyException ? busy(failure.getMessage()) : GrpcStatusMapper.toStatusException(failure));
    }

    private static StatusRuntimeException busy(String message) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED.getNumber())
                .setMessage(message)
                .addDetails(Any.pack(ErrorInfo.newBuilder().setDomain(GrpcStatusMapper.DOMAIN).setReason("IMPORTS_BUSY").build()))
                .build());
    }

    private void onContext(Runnable action) {
        if (context == null) {
            synchronized (this) {
                action.run();
            }
        } else if (Vertx.currentContext() == context) {
            action.run();
        } else {
            context.runOnContext(ignored -> action.run());
        }
    }
}
