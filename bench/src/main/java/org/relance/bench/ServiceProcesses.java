package org.relance.bench;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/** What every service the benchmark starts shares: waiting until ready, and a channel to it. */
final class ServiceProcesses {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();

    private ServiceProcesses() {
    }

    /**
     * Waits until {@code /q/health/ready} of the service on {@code port} answers 200; returns the
     * time from {@code startNanos} to then, in ns. Fails with the log's tail if it exits or is late.
     */
    static long awaitReady(String name, Process process, int port, Path log, long startNanos, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        long deadline = startNanos + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + Procs.tail(log, 40));
            }
            try {
                HttpResponse<Void> response = HTTP.send(request, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return System.nanoTime() - startNanos;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not ready after " + timeout.toSeconds() + " s:\n" + Procs.tail(log, 40));
            }
            Postgres.sleep(10);
        }
    }

    /** A plaintext channel to the service on {@code port} (grpc-netty-shaded). */
    static ManagedChannel channel(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor()
                .maxInboundMessageSize(8 * 1024 * 1024).build();
    }
}
