package org.relance.transaction.imports;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The file's chunks on their way from the gRPC stream to the parser, read as an
 * {@link InputStream} on the import's worker thread. The queue holds at most {@code capacity}
 * chunks: the receiving side asks the caller for a chunk only when one was taken (gRPC flow
 * control, see {@link #ChunkPipe(int, Duration, Runnable)}), so a fast sender never fills the memory.
 */
public final class ChunkPipe extends InputStream {
    private static final Object END = new Object();

    private final BlockingQueue<Object> queue;
    private final Duration idleTimeout;
    private final Runnable onTaken;
    private final AtomicLong bytes = new AtomicLong();
    private ByteString current = ByteString.EMPTY;
    private int position;
    private boolean ended;

    /**
     * @param capacity    chunks held at most; the receiving side asks for that many at first
     * @param idleTimeout how long the reader waits for a chunk before giving up
     * @param onTaken     called each time the reader took a chunk, to ask the sender for one more
     */
    public ChunkPipe(int capacity, Duration idleTimeout, Runnable onTaken) {
        this.queue = new ArrayBlockingQueue<>(capacity + 1);
        this.idleTimeout = idleTimeout;
        this.onTaken = onTaken;
    }

    /** Hands over the next chunk; refused (false) when the sender ignored flow control. */
    public boolean offer(ByteString chunk) {
        return queue.offer(chunk);
    }

    /** The file is complete. */
    public void complete() {
        queue.offer(END);
    }

    /** The file will not arrive: the reader fails with {@link ImportAbortedException}. */
    public void fail(Throwable cause) {
        queue.clear();
        queue.offer(cause);
    }

    /** Bytes taken by the reader so far. */
    public long byteCount() {
        return bytes.get();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        while (position >= current.size()) {
            if (ended || !nextChunk()) {
                return -1;
            }
        }
        int n = Math.min(length, current.size() - position);
        current.copyTo(buffer, position, offset, n);
        position += n;
        return n;
    }

    private boolean nextChunk() throws IOException {
        Object next;
        try {
            next = queue.poll(idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImportAbortedException("interrupted while waiting for the file", e);
        }
        if (next == null) {
            throw new ImportAbortedException("no part of the file arrived for " + idleTimeout.toSeconds() + " s", null);
        }
        if (next == END) {
            ended = true;
            current = ByteString.EMPTY;
            position = 0;
            return false;
        }
        if (next instanceof Throwable cause) {
            queue.offer(cause);
            throw new ImportAbortedException("the file stopped arriving: " + cause.getMessage(), cause);
        }
        current = (ByteString) next;
        position = 0;
        bytes.addAndGet(current.size());
        onTaken.run();
        return true;
    }
}
