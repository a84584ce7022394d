package org.relance.edge;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.relance.api.cart.v1.Site;
import org.relance.api.cart.v1.TrackingMode;
import org.relance.edge.support.EdgeClient;
import org.relance.edge.support.Services;

import static org.relance.edge.support.Batches.visitor;
import static org.relance.edge.support.Batches.submit;
import static org.relance.edge.support.Batches.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Traces: a caller's W3C trace context continues through the edge into the services, seen at an
 * OTLP collector. Its own test profile gives it a fresh edge (and fresh services): after the
 * browser suites, the in-process edge's exporter was seen to send nothing more, which this test
 * must not mistake for a broken propagation.
 */
@QuarkusTest
@TestProfile(TraceIT.Fresh.class)
@QuarkusTestResource(Services.class)
class TraceIT {
    private static final String SHOP = "https://shop.example";

    /** A profile of its own, so that Quarkus starts this class's application anew. */
    public static class Fresh implements QuarkusTestProfile {
    }

    private EdgeClient edge;
    private Site site;

    @BeforeEach
    void setUp() {
        edge = new EdgeClient();
        site = edge.newSite(TrackingMode.TRACKING_MODE_CARTS_AND_TRANSACTIONS, "", SHOP);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        edge.close();
    }

    @Test
    void aCallersTraceContinuesThroughTheEdgeIntoTheServices() {
        // A page (or a proxy) that sends W3C trace context: the edge's span and the services' spans join its trace.
        byte[] traceId = new byte[16];
        new java.util.Random().nextBytes(traceId);
        traceId[0] = 0x5a;
        String hex = java.util.HexFormat.of().formatHex(traceId);
        String body = batch(visitor(), submit("tr-1", "transaction",
                "{\"fn\":\"AddTransaction\",\"args\":{\"idTransaction\":\"TR1\",\"revenue\":\"5\",\"tax\":\"0\",\"shipping\":\"0\"}},"
                        + "{\"fn\":\"AddItem\",\"args\":{\"idTransaction\":\"TR1\",\"productName\":\"P\",\"idProduct\":\"p\","
                        + "\"Price_unit\":\"5\",\"Price_total\":\"5\",\"quantity\":\"1\"}}"),
                submit("tr-2", "cart", "{\"fn\":\"AddCart\",\"args\":{\"idCart\":\"TR\",\"TotalPrice\":\"5\"}}"));
        java.net.http.HttpRequest traced = java.net.http.HttpRequest.newBuilder(URI.create(edge.base + "/t/" + site.getSiteKey()))
                .header("Content-Type", "application/json").header("Origin", SHOP)
                .header("traceparent", "00-" + hex + "-00f067aa0ba902b7-01")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build();
        assertThat(edge.send(traced).statusCode()).isEqualTo(204);
        long[] lastSent = {System.nanoTime()};
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            // An export can be lost (the collector is a test stand-in); the batch is a repeat, so
            // sending it again adds spans to the same trace and changes nothing else.
            if (System.nanoTime() - lastSent[0] > 5_000_000_000L) {
                assertThat(edge.send(traced).statusCode()).isEqualTo(204);
                lastSent[0] = System.nanoTime();
            }
            assertThat(Services.traces().sawTrace("edge-http", traceId)).as("edge").isTrue();
            assertThat(Services.traces().sawTrace("cart-service", traceId)).as("cart service").isTrue();
            assertThat(Services.traces().sawTrace("transaction-service", traceId)).as("transaction service").isTrue();
        });
    }
}
