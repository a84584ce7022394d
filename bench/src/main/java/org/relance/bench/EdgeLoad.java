package org.relance.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Tracker batches over HTTP/1.1 (what browsers send): each request one submit of seed 000's first
 * example (AddCart + two AddCartItem) with a unique id and cart, or ({@link #pageViews}) one page
 * view with a unique id, to {@code /t/{key}} or to the edge's bare endpoint. Closed loop for the
 * peak, open loop (latency from when a request was due) at a fixed rate for latencies.
 */
final class EdgeLoad {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http;
    private final URI target;
    private final String tag;
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final int viewsPerBatch;

    EdgeLoad(int port, String path, String tag) {
        this(port, path, tag, 0);
    }

    /** With {@code viewsPerBatch} above 0, each request carries that many page views instead of a cart submit. */
    EdgeLoad(int port, String path, String tag, int viewsPerBatch) {
        this.viewsPerBatch = viewsPerBatch;
        // A few selector threads: the client must not be what limits the edge on two cores.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT)
                .executor(Executors.newFixedThreadPool(2)).build();
        this.target = URI.create("http://127.0.0.1:" + port + path);
        this.tag = tag;
    }

    /** Requests answered 204 so far, warm-up included. */
    long acknowledged() {
        return acknowledged.get();
    }

    String body(long n) {
        return viewsPerBatch > 0 ? pageViews(n) : cartSubmit(n);
    }

    /**
     * What the tracker sends when a page has loaded: one view of a product page, every tenth one of
     * the cart page (which opens or touches the visitor's URL-tracked cart), with a referrer and a title.
     */
    private String pageViews(long n) {
        StringBuilder b = new StringBuilder(300 * viewsPerBatch).append("{\"v\":1,\"visitorId\":\"v1.").append(tag).append('-')
                .append(n % 5000).append("\",\"submits\":[");
        long time = System.currentTimeMillis();
        for (int i = 0; i < viewsPerBatch; i++) {
            long view = n * viewsPerBatch + i;
            String url = view % 10 == 0 ? "https://shop.example/cart" : "https://shop.example/p/" + (view % 500) + "?ref=home";
            b.append(i == 0 ? "" : ",").append("{\"id\":\"").append(tag).append("-v").append(view)
                    .append("\",\"type\":\"pageview\",\"time\":").append(time).append(",\"args\":{\"url\":\"").append(url)
                    .append("\",\"referrer\":\"https://shop.example/\",\"title\":\"Blue mug, 350 ml – Shop\"}}");
        }
        return b.append("]}").toString();
    }

    private String cartSubmit(long n) {
        String cart = tag + "-c" + n;
        return "{\"v\":1,\"visitorId\":\"v1." + tag + "-" + (n % 5000) + "\",\"submits\":[{\"id\":\"" + tag + "-s" + n
                + "\",\"type\":\"cart\",\"calls\":[{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"" + cart
                + "\",\"status\":\"SelectProducts\",\"TotalPrice\":\"59.97\"}},{\"fn\":\"AddCartItem\",\"args\":{\"idCart\":\"" + cart
                + "\",\"idProduct\":\"p-1\",\"productName\":\"Blue mug\",\"category\":\"Kitchen\",\"idCategory\":\"k1\","
                + "\"priceunit\":\"19.99\",\"quantity\":\"2\"}},{\"fn\":\"AddCartItem\",\"args\":{\"idCart\":\"" + cart
                + "\",\"idProduct\":\"p-2\",\"productName\":\"Green tea, 100 g\",\"category\":\"Grocery\",\"idCategory\":\"g7\","
                + "\"priceunit\":\"19.99\",\"quantity\":\"1\"}}]}]}";
    }

    private interface Done {
        void done(long finishedNanos, String failure);
    }

    private void send(Done done) {
        long n = sequence.incrementAndGet();
        HttpRequest request = HttpRequest.newBuilder(target).timeout(TIMEOUT).header("Content-Type", "text/plain;charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString(body(n))).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            long now = System.nanoTime();
            if (error != null) {
                done.done(now, error.getClass().getSimpleName());
            } else if (response.statusCode() != 204) {
                done.done(now, "HTTP " + response.statusCode());
            } else {
                acknowledged.incrementAndGet();
                done.done(now, null);
            }
        });
    }

    SubmitLoad.Result closedLoop(int concurrency, long warmupMillis, long measureMillis) {
        long now = System.nanoTime();
        SubmitLoad.Window window = new SubmitLoad.Window(now + warmupMillis * 1_000_000, now + (warmupMillis + measureMillis) * 1_000_000);
        CountDownLatch finished = new CountDownLatch(concurrency);
        for (int i = 0; i < concurrency; i++) {
            loop(window, finished);
        }
        try {
            if (!finished.await(warmupMillis + measureMillis + 30_000, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("load did not finish in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return window.result();
    }

    private void loop(SubmitLoad.Window window, CountDownLatch finished) {
        long started = System.nanoTime();
        send((done, failure) -> {
            window.record(started, done, failure);
            if (done < window.end) {
                java.util.concurrent.ForkJoinPool.commonPool().execute(() -> loop(window, finished));
            } else {
                finished.countDown();
            }
        });
    }

    SubmitLoad.Result openLoop(double perSecond, long warmupMillis, long measureMillis, int maxInFlight) {
        long begin = System.nanoTime();
        SubmitLoad.Window window = new SubmitLoad.Window(begin + warmupMillis * 1_000_000, begin + (warmupMillis + measureMillis) * 1_000_000);
        AtomicInteger inFlight = new AtomicInteger();
        double period = 1e9 / perSecond;
        for (long i = 0; ; i++) {
            long due = begin + (long) (i * period);
            if (due >= window.end) {
                break;
            }
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            if (inFlight.get() >= maxInFlight) {
                if (due >= window.start) {
                    window.dropped.increment();
                }
                continue;
            }
            inFlight.incrementAndGet();
            send((done, failure) -> {
                inFlight.decrementAndGet();
                window.record(due, done, failure);
            });
        }
        long deadline = System.nanoTime() + TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(5);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Postgres.sleep(5);
        }
        return window.result();
    }
}
