package org.relance.edge.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on the loopback between the services and PostgreSQL, with three faults on command:
 * latency (every chunk is delivered that much later, in order, without limiting throughput),
 * a cut (every open connection is reset and new ones are refused until {@link #heal}), and a
 * stall (connections are accepted and kept, but no byte moves in either direction: what a
 * partitioned network or a frozen server looks like to a client, no error, just silence).
 *
 * <p>Plain blocking sockets, two threads per direction (a reader that stamps each chunk with the
 * time it may leave, a writer that waits for that time and for the stall to end): a few dozen
 * pooled database connections are all it carries.
 */
final class FaultyProxy implements AutoCloseable {
    private static final byte[] END = new byte[0];

    private final ServerSocket server;
    private final int upstreamPort;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile long latencyNanos;
    private volatile boolean refusing;
    private boolean stalled;
    private volatile boolean closed;

    FaultyProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        Thread acceptor = new Thread(this::acceptLoop, "proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The port the services are given instead of PostgreSQL's. */
    int port() {
        return server.getLocalPort();
    }

    /** Connections open right now. */
    int openConnections() {
        return links.size();
    }

    long acceptedConnections() {
        return accepted.get();
    }

    long refusedConnections() {
        return refused.get();
    }

    /** Every chunk, in both directions, leaves {@code millis} after it arrived. */
    void latency(long millis) {
        latencyNanos = millis * 1_000_000L;
    }

    /** Resets every open connection and refuses new ones until {@link #heal}. */
    void cut() {
        refusing = true;
        for (Link link : links) {
            link.close(true);
        }
    }

    /** Keeps every connection open but moves no byte until {@link #heal}; new connections are accepted. */
    void stall() {
        synchronized (gate) {
            stalled = true;
        }
    }

    /** Ends every fault: no latency, no stall, connections accepted again. */
    void heal() {
        latencyNanos = 0;
        refusing = false;
        synchronized (gate) {
            stalled = false;
            gate.notifyAll();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        heal();
        for (Link link : links) {
            link.close(false);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            if (refusing) {
                refused.incrementAndGet();
                reset(client);
                continue;
            }
            accepted.incrementAndGet();
            Link link = new Link(client);
            links.add(link);
            // Connecting upstream on the link's own thread keeps a slow PostgreSQL from blocking accepts.
            Thread t = new Thread(link::open, "proxy-open");
            t.setDaemon(true);
            t.start();
        }
    }

    /** Closes with an RST (linger 0), as a crashed peer or a dropped route would. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException e) {
            // closing anyway
        }
        try {
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }

    private void awaitFlowing(Link link) throws InterruptedException {
        synchronized (gate) {
            while (stalled && !link.closed.get()) {
                gate.wait(100);
            }
        }
    }

    /** One client connection and its upstream twin. */
    private final class Link {
        private final Socket client;
        private final Socket upstream = new Socket();
        private final AtomicBoolean closed = new AtomicBoolean();

        Link(Socket client) {
            this.client = Objects.requireNonNull(client);
        }

        void open() {
            try {
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 2000);
            } catch (IOException e) {
                // PostgreSQL is away: the client sees its connection reset, as it would without a proxy.
                close(true);
                return;
            }
            if (closed.get() || refusing) {
                close(true);
                return;
            }
            pipe(client, upstream, "up");
            pipe(upstream, client, "down");
        }

        private void pipe(Socket from, Socket to, String direction) {
            BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                byte[] buffer = new byte[16384];
                try {
                    InputStream in = from.getInputStream();
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        queue.add(new Chunk(System.nanoTime() + latencyNanos, Arrays.copyOf(buffer, n)));
                    }
                } catch (IOException e) {
                    // the link is going down; the writer learns it from END
                }
                queue.add(new Chunk(0, END));
            }, "proxy-read-" + direction);
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = to.getOutputStream();
                    while (true) {
                        Chunk chunk = queue.take();
                        if (chunk.bytes == END) {
                            break;
                        }
                        long wait = chunk.due - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
                        }
                        awaitFlowing(this);
                        if (closed.get()) {
                            break;
                        }
                        out.write(chunk.bytes);
                        out.flush();
                    }
                } catch (IOException | InterruptedException e) {
                    // the link is going down
                }
                // One side ended: PostgreSQL's protocol has no half-open use, so the link ends.
                close(false);
            }, "proxy-write-" + direction);
            reader.setDaemon(true);
            writer.setDaemon(true);
            reader.start();
            writer.start();
        }

        void close(boolean abort) {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            links.remove(this);
            if (abort) {
                reset(client);
                reset(upstream);
            } else {
                try {
                    client.close();
                } catch (IOException e) {
                    // already gone
                }
                try {
                    upstream.close();
                } catch (IOException e) {
                    // already gone
                }
            }
            synchronized (gate) {
                gate.notifyAll();
            }
        }
    }

    private record Chunk(long due, byte[] bytes) {
    }
}
