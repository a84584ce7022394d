package org.relance.edge.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.relance.api.segment.v1.ConsentState;
import org.relance.api.segment.v1.Contact;
import org.relance.api.segment.v1.Consent;
import org.relance.api.segment.v1.ContactServiceGrpc;
import org.relance.api.segment.v1.CreateTriggerRequest;
import org.relance.api.segment.v1.ListNotificationsRequest;
import org.relance.api.segment.v1.NotificationState;
import org.relance.api.segment.v1.Trigger;
import org.relance.api.segment.v1.TriggerServiceGrpc;
import org.relance.api.segment.v1.UpsertContactRequest;
import org.relance.api.segment.v1.WebhookTarget;
import org.relance.edge.chaos.Topology.Service;
import org.relance.edge.support.Services;
import org.relance.kit.grpc.BearerToken;

/**
 * Reminders under the same faults as the carts: every shopper of the load is a contact who
 * consented, a trigger reminds each abandoned cart after two seconds through a loopback webhook,
 * and afterwards each (cart, episode, step) must have been reminded by one notification at most —
 * the faults (a killed service, a cut database) must not make the segment service claim twice.
 * The same notification may reach the receiver more than once when a kill lands between its
 * POST and the record of the answer; receivers deduplicate by Relance-Notification-Id, so such
 * repeats are counted, not refused.
 */
final class Reminders implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One POST as the receiver saw it. */
    record Delivery(String notificationId, String cartId, int episode, int step) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final List<Delivery> deliveries = new ArrayList<>();
    private String triggerId;

    Reminders() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                JsonNode body = JSON.readTree(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                synchronized (deliveries) {
                    deliveries.add(new Delivery(exchange.getRequestHeaders().getFirst("Relance-Notification-Id"),
                            body.path("cart_id").asText(body.path("cartId").asText()),
                            body.path("episode").asInt(), body.path("step").asInt()));
                }
                exchange.sendResponseHeaders(200, -1);
            } catch (RuntimeException e) {
                exchange.sendResponseHeaders(400, -1);
            }
        });
        server.setExecutor(executor);
        server.start();
    }

    /** Contacts with consent for the load's shoppers, and the trigger. */
    void prepare(Topology topology, String store, int visitors) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", topology.port(Service.SEGMENT)).usePlaintext().build();
        try {
            BearerToken token = new BearerToken(Services.TOKEN);
            ContactServiceGrpc.ContactServiceBlockingStub contacts = ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(token);
            for (int v = 0; v < visitors; v++) {
                contacts.withDeadlineAfter(20, TimeUnit.SECONDS).upsertContact(UpsertContactRequest.newBuilder()
                        .setRequestId(UUID.randomUUID().toString())
                        .setContact(Contact.newBuilder().setEmail(TrackerLoad.email(v))
                                .setConsent(Consent.newBuilder().setState(ConsentState.CONSENT_STATE_GRANTED).setSource("chaos")))
                        .build());
            }
            triggerId = "chaos-" + UUID.randomUUID().toString().substring(0, 8);
            TriggerServiceGrpc.newBlockingStub(channel).withCallCredentials(token).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .createTrigger(CreateTriggerRequest.newBuilder().setRequestId(UUID.randomUUID().toString()).setTrigger(
                            Trigger.newBuilder().setTriggerId(triggerId).setStoreId(store).setDisplayName("Chaos reminder")
                                    .setWait(com.google.protobuf.Duration.newBuilder().setSeconds(2))
                                    .setWebhook(WebhookTarget.newBuilder()
                                            .setUrl("http://127.0.0.1:" + server.getAddress().getPort() + "/reminders")
                                            .setSecret("chaos-webhook-secret")))
                            .build());
        } finally {
            channel.shutdownNow();
        }
    }

    /** The trigger's notifications still waiting to be sent. */
    long pending(Topology topology) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", topology.port(Service.SEGMENT)).usePlaintext().build();
        try {
            TriggerServiceGrpc.TriggerServiceBlockingStub triggers = TriggerServiceGrpc.newBlockingStub(channel)
                    .withCallCredentials(new BearerToken(Services.TOKEN));
            long pending = 0;
            String page = "";
            do {
                var response = triggers.withDeadlineAfter(20, TimeUnit.SECONDS).listNotifications(ListNotificationsRequest.newBuilder()
                        .setTriggerId(triggerId).setPageSize(500).setPageToken(page).build());
                pending += response.getNotificationsList().stream().filter(n -> n.getState() == NotificationState.NOTIFICATION_STATE_PENDING)
                        .count();
                page = response.getNextPageToken();
            } while (!page.isEmpty());
            return pending;
        } finally {
            channel.shutdownNow();
        }
    }

    /** What the receiver saw. */
    record Tally(int posts, int notifications, int reminded, List<String> remindedTwice) {
    }

    Tally tally() {
        List<Delivery> seen;
        synchronized (deliveries) {
            seen = List.copyOf(deliveries);
        }
        Map<String, java.util.Set<String>> byReminder = new TreeMap<>();
        for (Delivery d : seen) {
            byReminder.computeIfAbsent(d.cartId() + "#" + d.episode() + "#" + d.step(), k -> new java.util.TreeSet<>())
                    .add(d.notificationId());
        }
        List<String> twice = byReminder.entrySet().stream().filter(e -> e.getValue().size() > 1)
                .map(e -> e.getKey() + " by " + e.getValue()).collect(Collectors.toList());
        int notifications = (int) seen.stream().map(Delivery::notificationId).distinct().count();
        return new Tally(seen.size(), notifications, byReminder.size(), twice);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
