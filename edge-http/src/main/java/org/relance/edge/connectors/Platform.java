package org.relance.edge.connectors;

import java.util.Locale;
import java.util.Optional;

/**
 * The shop platforms whose webhooks the edge takes, with the headers each one uses. Both sign the
 * raw body with HMAC-SHA256 and send the signature base64-encoded.
 */
public enum Platform {
    SHOPIFY("shopify", "X-Shopify-Hmac-Sha256", "X-Shopify-Webhook-Id", "X-Shopify-Topic"),
    WOOCOMMERCE("woocommerce", "X-WC-Webhook-Signature", "X-WC-Webhook-Delivery-ID", "X-WC-Webhook-Topic");

    private final String path;
    private final String signatureHeader;
    private final String deliveryHeader;
    private final String topicHeader;

    Platform(String path, String signatureHeader, String deliveryHeader, String topicHeader) {
        this.path = path;
        this.signatureHeader = signatureHeader;
        this.deliveryHeader = deliveryHeader;
        this.topicHeader = topicHeader;
    }

    /** The name in URLs and in the database ({@code shopify}, {@code woocommerce}). */
    public String path() {
        return path;
    }

    public String signatureHeader() {
        return signatureHeader;
    }

    public String deliveryHeader() {
        return deliveryHeader;
    }

    public String topicHeader() {
        return topicHeader;
    }

    /** The refusals' kind in rejected_event ({@code shopify_webhook}). */
    public String rejectionKind() {
        return path + "_webhook";
    }

    /** The platform named in a URL, case-insensitively. */
    public static Optional<Platform> fromPath(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String lower = name.toLowerCase(Locale.ROOT);
        for (Platform p : values()) {
            if (p.path.equals(lower)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
