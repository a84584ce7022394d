package org.relance.edge.links;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;
import org.relance.edge.config.EdgeConfig;
import org.relance.kit.links.LinkTokens;

/** The link secret, shared with the segment service, as a signer and checker of tokens. */
public class LinkTokensProducer {
    static final String DEV_SECRET = "relance-dev-link-secret-change-me";
    private static final Logger LOG = Logger.getLogger(LinkTokensProducer.class);

    @Produces
    @Singleton
    LinkTokens linkTokens(EdgeConfig config) {
        if (DEV_SECRET.equals(config.linkSecret())) {
            LOG.warn("RELANCE_LINK_SECRET is not set: restore links and contact tokens use a development secret "
                    + "anyone can read in the sources; set it anywhere but a laptop");
        }
        return new LinkTokens(config.linkSecret());
    }
}
