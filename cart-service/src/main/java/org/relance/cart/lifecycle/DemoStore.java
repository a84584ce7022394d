package org.relance.cart.lifecycle;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import org.jboss.logging.Logger;
import org.relance.cart.config.CartConfig;
import org.relance.cart.domain.Site;
import org.relance.cart.domain.Store;
import org.relance.cart.domain.TrackingMode;
import org.relance.cart.persistence.StoreRepository;

/**
 * The local run's demo store {@code demo} and site {@code demo-shop} (key {@code pk_demo_relance}),
 * created at start-up when {@code relance.cart.demo.enabled} is true, so that the demo shop and
 * the seed's example pages work at once.
 */
@jakarta.inject.Singleton
public class DemoStore {
    /** Short, so that a new user sees a cart abandoned during the tour (README). */
    static final Duration DEMO_DELAY = Duration.ofMinutes(2);
    /** The demo shop's cart page, served by the edge. */
    static final String DEMO_RESTORE_URL = "/demo/cart.html";
    private static final Logger LOG = Logger.getLogger(DemoStore.class);

    void create(@Observes StartupEvent event, CartConfig config, StoreRepository stores) {
        if (!config.demo().enabled()) {
            return;
        }
        Instant now = Instant.EPOCH;
        Store store = new Store("demo", "Demo shop", "EUR", "Europe/Paris", DEMO_DELAY,
                Store.DEFAULT_CART_RETENTION, Store.DEFAULT_PAGE_VIEW_RETENTION, Store.DEFAULT_URL_PURCHASE_WINDOW, now, now);
        Site site = new Site("demo-shop", "demo", "Demo shop web site", config.demo().siteKey(),
                config.demo().allowedOrigins(), TrackingMode.CARTS_AND_TRANSACTIONS, DEMO_RESTORE_URL, false, "", "", now, now);
        stores.ensure(store, site).await().atMost(Duration.ofSeconds(30));
        LOG.infof("demo store 'demo' with site 'demo-shop' (key %s)", config.demo().siteKey());
    }
}
