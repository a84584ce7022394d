package org.relance.segment.notifications;

import jakarta.inject.Singleton;
import java.time.Instant;
import org.jboss.logging.Logger;
import org.relance.kit.links.LinkTokens;
import org.relance.segment.triggers.CartFact;
import org.relance.segment.triggers.SecretBox;

/**
 * Restore links of payloads ({@code {edge}/r/{token}}, docs/tracker-protocol.md), signed with the
 * link secret the edge shares. The token carries the notification id, so the edge's click log
 * names the reminder that was followed.
 */
@Singleton
public class LinkSigner {
    /** The edge's development default too, so that a local run works without configuration. */
    static final String DEV_SECRET = "relance-dev-link-secret-change-me";
    private static final Logger LOG = Logger.getLogger(LinkSigner.class);

    private final LinkTokens tokens;
    private final SecretBox box;
    private final String edge;

    public LinkSigner(NotificationConfig config) {
        String secret = config.linkSecret().filter(s -> !s.isBlank()).orElse(null);
        if (secret == null) {
            LOG.warn("RELANCE_LINK_SECRET is not set: restore links and stored webhook secrets use the development default; "
                    + "set the same secret here and on the edge in production");
            secret = DEV_SECRET;
        }
        if (secret.length() < 16) {
            throw new IllegalStateException("RELANCE_LINK_SECRET must have at least 16 characters");
        }
        tokens = new LinkTokens(secret);
        box = new SecretBox(secret);
        String base = config.edgePublicUrl();
        edge = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    /** The restore link of a cart for a notification; empty when the cart has no site (tracked by the back end). */
    public String restoreUrl(CartFact cart, String notificationId, Instant expiry) {
        if (cart.siteId() == null || cart.siteId().isEmpty()) {
            return "";
        }
        return edge + "/r/" + tokens.sign(LinkTokens.Kind.RESTORE, expiry, cart.storeId(), cart.siteId(), cart.cartId(),
                cart.contactId(), notificationId);
    }

    /** Seals webhook secrets at rest. */
    public SecretBox secrets() {
        return box;
    }
}
