package org.relance.edge.connectors;

import java.time.Instant;

/**
 * A site's connection to its shop platform.
 *
 * @param siteId     the Relance site the webhooks feed
 * @param platform   the platform
 * @param storeId    the site's store
 * @param siteKey    the site's public key, which names the webhook URL
 * @param secret     what the platform signs its webhooks with
 * @param enabled    false: webhooks are refused (404) until it is turned on again
 * @param createTime when it was set up
 * @param updateTime when it last changed
 */
public record Connector(String siteId, Platform platform, String storeId, String siteKey, String secret, boolean enabled,
                        Instant createTime, Instant updateTime) {
}
