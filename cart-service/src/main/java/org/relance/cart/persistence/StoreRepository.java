package org.relance.cart.persistence;

import io.r2dbc.spi.Readable;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.relance.cart.domain.Site;
import org.relance.cart.domain.Store;
import org.relance.cart.domain.TrackingMode;
import org.relance.kit.db.Database;
import org.relance.kit.time.Instants;
import org.relance.kit.db.Reactive;
import org.relance.kit.db.Sql;
import org.relance.kit.error.AlreadyExistsException;
import org.relance.kit.error.NotFoundException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Stores and sites. */
@Singleton
public class StoreRepository {
    private static final String STORE_COLUMNS = "store_id, display_name, currency_code, time_zone, abandonment_delay_seconds, "
            + "cart_retention_seconds, create_time, update_time, page_view_retention_seconds, url_purchase_window_seconds";
    private static final String SITE_COLUMNS = "site_id, store_id, display_name, site_key, allowed_origins, tracking_mode, "
            + "restore_url, create_time, update_time, page_views_disabled, cart_page_pattern, thank_you_page_pattern";

    private final Database database;
    private final Clock clock;

    public StoreRepository(Database database, Clock clock) {
        this.database = database;
        this.clock = clock;
    }

    private static Store store(Readable row) {
        return new Store(row.get("store_id", String.class), row.get("display_name", String.class),
                row.get("currency_code", String.class), row.get("time_zone", String.class),
                Duration.ofSeconds(row.get("abandonment_delay_seconds", Long.class)),
                Duration.ofSeconds(row.get("cart_retention_seconds", Long.class)),
                Duration.ofSeconds(row.get("page_view_retention_seconds", Long.class)),
                Duration.ofSeconds(row.get("url_purchase_window_seconds", Long.class)),
                Sql.instant(row, "create_time"), Sql.instant(row, "update_time"));
    }

    static Site site(Readable row) {
        return new Site(row.get("site_id", String.class), row.get("store_id", String.class),
                row.get("display_name", String.class), row.get("site_key", String.class),
                Arrays.asList(row.get("allowed_origins", String[].class)),
                TrackingMode.ofCode(row.get("tracking_mode", Short.class)), row.get("restore_url", String.class),
                Boolean.TRUE.equals(row.get("page_views_disabled", Boolean.class)), row.get("cart_page_pattern", String.class),
                row.get("thank_you_page_pattern", String.class), Sql.instant(row, "create_time"), Sql.instant(row, "update_time"));
    }

    /** Creates a store; an id in use is ALREADY_EXISTS. */
    public Uni<Store> create(Store store) {
        Instant now = Instants.now(clock);
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "INSERT INTO store (" + STORE_COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) "
                                + "ON CONFLICT (store_id) DO NOTHING RETURNING " + STORE_COLUMNS,
                        StoreRepository::store, store.storeId(), store.displayName(), store.currencyCode(), store.timeZone(),
                        store.abandonmentDelay().toSeconds(), store.cartRetention().toSeconds(), now,
                        store.pageViewRetention().toSeconds(), store.urlPurchaseWindow().toSeconds()))
                .next()
                .switchIfEmpty(Mono.error(() -> new AlreadyExistsException("store " + store.storeId() + " already exists"))));
    }

    /** Replaces a store's settings (the caller merged the update mask). */
    public Uni<Store> update(Store store) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "UPDATE store SET display_name = $2, currency_code = $3, time_zone = $4, abandonment_delay_seconds = $5, "
                                + "cart_retention_seconds = $6, update_time = $7, page_view_retention_seconds = $8, "
                                + "url_purchase_window_seconds = $9 WHERE store_id = $1 RETURNING " + STORE_COLUMNS,
                        StoreRepository::store, store.storeId(), store.displayName(), store.currencyCode(), store.timeZone(),
                        store.abandonmentDelay().toSeconds(), store.cartRetention().toSeconds(), Instants.now(clock),
                        store.pageViewRetention().toSeconds(), store.urlPurchaseWindow().toSeconds()))
                .next()
                .switchIfEmpty(Mono.error(() -> notFound(store.storeId()))));
    }

    public Uni<Store> get(String storeId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "SELECT " + STORE_COLUMNS + " FROM store WHERE store_id = $1", StoreRepository::store, storeId))
                .next()
                .switchIfEmpty(Mono.error(() -> notFound(storeId))));
    }

    /** Stores with an id after {@code afterId}, by id. */
    public Uni<List<Store>> list(String afterId, int limit) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "SELECT " + STORE_COLUMNS + " FROM store WHERE store_id > $1 ORDER BY store_id LIMIT " + limit,
                        StoreRepository::store, afterId))
                .collectList());
    }

    /** All stores (the sweeper and the purge go through them). */
    public Flux<Store> all() {
        return database.withConnection(c -> Sql.query(c, "SELECT " + STORE_COLUMNS + " FROM store ORDER BY store_id",
                StoreRepository::store));
    }

    /** Creates a site; its id or key in use is ALREADY_EXISTS, an unknown store NOT_FOUND. */
    public Uni<Site> createSite(Site site) {
        Instant now = Instants.now(clock);
        return Reactive.uni(database.withConnection(c -> Sql.query(c, "SELECT 1 FROM store WHERE store_id = $1", row -> 1,
                                site.storeId()).hasElements()
                        .flatMap(exists -> exists ? Mono.just(true) : Mono.error(notFound(site.storeId())))
                        .thenMany(Sql.query(c, "INSERT INTO site (" + SITE_COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $8, $7, $7, "
                                        + "$9, $10, $11) ON CONFLICT DO NOTHING RETURNING " + SITE_COLUMNS, StoreRepository::site,
                                site.siteId(), site.storeId(), site.displayName(), site.siteKey(),
                                site.allowedOrigins().toArray(String[]::new), (short) site.trackingMode().code(), now, site.restoreUrl(),
                                site.pageViewsDisabled(), site.cartPagePattern(), site.thankYouPagePattern())))
                .next()
                .switchIfEmpty(Mono.error(() -> new AlreadyExistsException("site " + site.siteId() + " already exists"))));
    }

    /** Replaces a site's settings (the caller merged the update mask). */
    public Uni<Site> updateSite(Site site) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "UPDATE site SET display_name = $2, allowed_origins = $3, tracking_mode = $4, update_time = $5, restore_url = $6, "
                                + "page_views_disabled = $7, cart_page_pattern = $8, thank_you_page_pattern = $9 "
                                + "WHERE site_id = $1 RETURNING " + SITE_COLUMNS, StoreRepository::site, site.siteId(),
                        site.displayName(), site.allowedOrigins().toArray(String[]::new), (short) site.trackingMode().code(),
                        Instants.now(clock), site.restoreUrl(), site.pageViewsDisabled(), site.cartPagePattern(),
                        site.thankYouPagePattern()))
                .next()
                .switchIfEmpty(Mono.error(() -> new NotFoundException("site " + site.siteId() + " does not exist"))));
    }

    public Uni<Site> getSite(String siteId) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "SELECT " + SITE_COLUMNS + " FROM site WHERE site_id = $1", StoreRepository::site, siteId))
                .next()
                .switchIfEmpty(Mono.error(() -> new NotFoundException("site " + siteId + " does not exist"))));
    }

    public Uni<Site> getSiteByKey(String siteKey) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "SELECT " + SITE_COLUMNS + " FROM site WHERE site_key = $1", StoreRepository::site, siteKey))
                .next()
                .switchIfEmpty(Mono.error(() -> new NotFoundException("no site has this key"))));
    }

    /** Sites of a store with an id after {@code afterId}, by id. */
    public Uni<List<Site>> listSites(String storeId, String afterId, int limit) {
        return Reactive.uni(database.withConnection(c -> Sql.query(c,
                        "SELECT " + SITE_COLUMNS + " FROM site WHERE store_id = $1 AND site_id > $2 ORDER BY site_id LIMIT " + limit,
                        StoreRepository::site, storeId, afterId))
                .collectList());
    }

    /** Creates the store and site if missing (the demo of the local run); changes nothing otherwise. */
    public Uni<Void> ensure(Store store, Site site) {
        Instant now = Instants.now(clock);
        return Reactive.uni(database.inTransaction(c -> Sql.update(c,
                        "INSERT INTO store (" + STORE_COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) ON CONFLICT DO NOTHING",
                        store.storeId(), store.displayName(), store.currencyCode(), store.timeZone(),
                        store.abandonmentDelay().toSeconds(), store.cartRetention().toSeconds(), now,
                        store.pageViewRetention().toSeconds(), store.urlPurchaseWindow().toSeconds())
                .then(Sql.update(c, "INSERT INTO site (" + SITE_COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $8, $7, $7, $9, $10, $11) "
                                + "ON CONFLICT DO NOTHING", site.siteId(), site.storeId(), site.displayName(), site.siteKey(),
                        site.allowedOrigins().toArray(String[]::new), (short) site.trackingMode().code(), now, site.restoreUrl(),
                        site.pageViewsDisabled(), site.cartPagePattern(), site.thankYouPagePattern()))
                .then()));
    }

    private static NotFoundException notFound(String storeId) {
        return new NotFoundException("store " + storeId + " does not exist");
    }
}
