package org.relance.edge.ingest;

import java.util.List;

/**
 * A tracker batch, parsed (docs/tracker-protocol.md).
 *
 * @param visitorId    the first-party visitor id
 * @param contactToken the token of a Relance link, or null
 * @param page         the page that sent it, or null
 * @param submits      the submits in order
 */
public record Batch(String visitorId, String contactToken, String page, List<Submit> submits) {
}
