package org.relance.bench;

import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.relance.api.cart.v1.CreateSiteRequest;
import org.relance.api.cart.v1.CreateStoreRequest;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.Store;
import org.relance.api.cart.v1.StoreServiceGrpc;
import org.relance.kit.grpc.BearerToken;

/**
 * Tracker submits per second through the edge (HTTP/1.1, the body a beacon would carry) into the
 * cart service, against the same edge's bare endpoint (reads the body, answers 204) in the same
 * run; then latencies at half of the peak, for both at the same rate. The {@code pageviews}
 * variant sends page views (one per request, as a page load does) to a site with a URL journey,
 * so that each view is classified against its cart and thank-you page patterns.
 */
final class EdgeScenario {
    private static final String STORE = "bench-edge";
    private static final int VIEWS_PER_BATCH = 10;

    private final Path work;
    private final boolean pageViews;
    private final String what;
    private final Path root = Bench.root();
    private final int warmupSeconds = Bench.intProp("bench.warmup", 5);
    private final int seconds = Bench.intProp("bench.duration", 20);
    private final int concurrency = Bench.intProp("bench.concurrency", 64);
    private final double goalPerSecond = 5000;
    private final double goalP99Millis = 25;

    EdgeScenario(Path work) {
        this(work, false);
    }

    EdgeScenario(Path work, boolean pageViews) {
        this.work = work;
        this.pageViews = pageViews;
        this.what = pageViews ? "page views" : "tracker submits";
    }

    Report run() {
        Report report = new Report(pageViews ? "pageviews" : "edge");
        try (Postgres pg = Postgres.start(work)) {
            System.out.println("bench: " + pg.version() + " on port " + pg.port());
            pg.createDatabase("relance_cart");
            pg.createDatabase("relance_edge");
            try (CartService cart = CartService.external(root, work.resolve("cart-service.log"), pg.serviceUrl("relance_cart"),
                    Map.of("RELANCE_CART_SWEEP_INTERVAL", "off", "RELANCE_CART_PURGE_INTERVAL", "off"))) {
                cart.awaitReady(Duration.ofSeconds(90));
                String key = createSite(cart);
                Map<String, String> env = new LinkedHashMap<>();
                env.put("RELANCE_DB_URL", pg.serviceUrl("relance_edge"));
                env.put("RELANCE_DB_USERNAME", "postgres");
                env.put("RELANCE_DB_PASSWORD", "");
                env.put("RELANCE_CART_HOST", "127.0.0.1");
                env.put("RELANCE_CART_PORT", Integer.toString(cart.port()));
                env.put("RELANCE_EDGE_BENCH_ENDPOINT", "true");
                // One load generator on loopback is one address: the per-address limit would be the figure.
                env.put("RELANCE_EDGE_LIMITS_PER_ADDRESS", "0");
                env.put("RELANCE_EDGE_LIMITS_PER_SITE", "0");
                try (JarProcess edge = JarProcess.start(root, "edge-http", work.resolve("edge-http.log"), env)) {
                    long ready = edge.awaitReady(Duration.ofSeconds(90));
                    System.out.printf("bench: edge ready in %.2f s (pid %d, port %d)%n", ready / 1e9, edge.pid(), edge.port());
                    String tag = "e" + System.currentTimeMillis();
                    EdgeLoad bare = new EdgeLoad(edge.port(), "/bench/noop", tag + "b", pageViews ? 1 : 0);
                    EdgeLoad tracker = new EdgeLoad(edge.port(), "/t/" + key, tag + "t", pageViews ? 1 : 0);

                    System.out.printf("bench: closed loop, %d requests in flight, %d s warm-up + %d s each%n", concurrency, warmupSeconds, seconds);
                    CpuMonitor.awaitQuiet("the bare endpoint's peak");
                    SubmitLoad.Result barePeak = bare.closedLoop(concurrency, warmupSeconds * 1000L, seconds * 1000L);
                    System.out.println("bench: bare endpoint peak: " + barePeak.describe());
                    CpuMonitor.awaitQuiet("the tracker's peak");
                    SubmitLoad.Result trackerPeak = tracker.closedLoop(concurrency, warmupSeconds * 1000L, seconds * 1000L);
                    System.out.println("bench: " + what + " peak: " + trackerPeak.describe());

                    double rate = trackerPeak.perSecond() / 2;
                    System.out.printf("bench: open loop at half of the tracker's peak, %.0f requests/s%n", rate);
                    CpuMonitor.awaitQuiet("the half-peak runs");
                    SubmitLoad.Result bareHalf = bare.openLoop(rate, warmupSeconds * 1000L, seconds * 1000L, 5000);
                    System.out.println("bench: bare endpoint at that rate: " + bareHalf.describe());
                    CpuMonitor.awaitQuiet("the tracker's half-peak run");
                    SubmitLoad.Result trackerHalf = tracker.openLoop(rate, warmupSeconds * 1000L, seconds * 1000L, 5000);
                    System.out.println("bench: " + what + " at that rate: " + trackerHalf.describe());

                    SubmitLoad.Result batched = null;
                    EdgeLoad batches = null;
                    if (pageViews) {
                        // What a single-page app or a retry sends: several views in one batch, one RecordPageViews call.
                        batches = new EdgeLoad(edge.port(), "/t/" + key, tag + "m", VIEWS_PER_BATCH);
                        CpuMonitor.awaitQuiet("the batched views' peak");
                        batched = batches.closedLoop(concurrency, warmupSeconds * 1000L, seconds * 1000L);
                        System.out.println("bench: batches of " + VIEWS_PER_BATCH + " page views peak: " + batched.describe());
                    }

                    long acknowledged = tracker.acknowledged() + (batches == null ? 0 : batches.acknowledged() * VIEWS_PER_BATCH);
                    long stored = pageViews ? storedViews(pg) : storedCarts(pg);
                    System.out.printf("bench: %s answered 204: %d; %s stored: %d%n", what, acknowledged, pageViews ? "views" : "carts", stored);
                    if (stored < acknowledged) {
                        throw new IllegalStateException(acknowledged - stored + " acknowledged " + what + " are not stored");
                    }

                    report.row(what + "/s through the edge (closed loop, " + concurrency + " in flight" + (pageViews ? ", one view per batch" : "") + ")",
                            String.format("%,.0f/s", trackerPeak.perSecond()), String.format("%,.0f/s bare endpoint", barePeak.perSecond()),
                            Report.ratio(trackerPeak.perSecond() / barePeak.perSecond()), "≥ 5,000/s", trackerPeak.perSecond() >= goalPerSecond);
                    report.row(String.format("p50 / p99 at %,.0f/s (half of peak)", rate),
                            Report.ms(trackerHalf.percentileMillis(50)) + " / " + Report.ms(trackerHalf.percentileMillis(99)),
                            Report.ms(bareHalf.percentileMillis(50)) + " / " + Report.ms(bareHalf.percentileMillis(99)) + " bare",
                            Report.ratio(trackerHalf.percentileMillis(99) / bareHalf.percentileMillis(99)), "p99 < 25 ms",
                            trackerHalf.percentileMillis(99) < goalP99Millis);
                    if (batched != null) {
                        double viewsPerSecond = batched.perSecond() * VIEWS_PER_BATCH;
                        report.row(String.format("page views/s in batches of %d views (closed loop, %d batches in flight)", VIEWS_PER_BATCH, concurrency),
                                String.format("%,.0f/s (%,.0f batches/s)", viewsPerSecond, batched.perSecond()),
                                String.format("%,.0f/s bare endpoint", barePeak.perSecond()),
                                Report.ratio(viewsPerSecond / barePeak.perSecond()), "≥ 5,000/s", viewsPerSecond >= goalPerSecond);
                    }
                    if (pageViews) {
                        report.note(String.format("Every view answered 204 (%,d) is a stored view (%,d rows of page_event); %,d URL-tracked carts "
                                + "opened by the cart-page views; failures at peak: %s, at half: %s.",
                                acknowledged, stored, urlCarts(pg), trackerPeak.failures(), trackerHalf.failures()));
                        report.note("One view per request, as a page load sends it: a product page, every tenth the cart page "
                                + "(the site's cart_page_pattern), 5,000 visitors; the edge checks the view and makes one RecordPageViews call.");
                    } else {
                        report.note(String.format("Every submit answered 204 (%,d) is a stored cart (%,d carts); failures at peak: %s, at half: %s.",
                                acknowledged, stored, trackerPeak.failures(), trackerHalf.failures()));
                    }
                    report.note("The load generator (JDK HttpClient), the edge, the cart service and PostgreSQL share the machine's cores.");
                }
            }
        }
        return report;
    }

    private String createSite(CartService cart) {
        ManagedChannel channel = cart.channel();
        try {
            StoreServiceGrpc.StoreServiceBlockingStub stores = StoreServiceGrpc.newBlockingStub(channel)
                    .withCallCredentials(new BearerToken(CartService.TOKEN)).withDeadlineAfter(30, TimeUnit.SECONDS);
            stores.createStore(CreateStoreRequest.newBuilder().setStore(Store.newBuilder().setStoreId(STORE).setDisplayName("Bench edge")
                    .setCurrencyCode("EUR").setTimeZone("Europe/Paris")).build());
            Site.Builder site = Site.newBuilder().setSiteId(STORE + "-web").setStoreId(STORE).addAllowedOrigins("https://shop.example");
            if (pageViews) {
                site.setCartPagePattern("/cart*").setThankYouPagePattern("/thank-you*");
            }
            return stores.createSite(CreateSiteRequest.newBuilder().setSite(site).build()).getSite().getSiteKey();
        } finally {
            channel.shutdownNow();
        }
    }

    private static long storedCarts(Postgres pg) {
        return count(pg, "SELECT count(*) FROM cart WHERE store_id = '" + STORE + "'");
    }

    private static long storedViews(Postgres pg) {
        return count(pg, "SELECT count(*) FROM page_event WHERE store_id = '" + STORE + "' AND event_type = 1");
    }

    private static long urlCarts(Postgres pg) {
        return count(pg, "SELECT count(*) FROM cart WHERE store_id = '" + STORE + "' AND source = 2");
    }

    private static long count(Postgres pg, String sql) {
        try (Connection c = pg.connect("relance_cart"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
