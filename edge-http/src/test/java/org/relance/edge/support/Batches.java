package org.relance.edge.support;

import java.util.UUID;

/** Tracker batch bodies as the tracker writes them (docs/tracker-protocol.md), for tests. */
public final class Batches {
    private Batches() {
    }

    /** A new first-party visitor id. */
    public static String visitor() {
        return "v1." + UUID.randomUUID();
    }

    /** One submit of cart or transaction calls. */
    public static String submit(String id, String type, String calls) {
        return "{\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"calls\":[" + calls + "]}";
    }

    /** A batch of a visitor's submits. */
    public static String batch(String visitor, String... submits) {
        return "{\"v\":1,\"visitorId\":\"" + visitor + "\",\"submits\":[" + String.join(",", submits) + "]}";
    }
}
