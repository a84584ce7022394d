-- Shop platform connectors (docs/connectors.md): one row per site and platform, with the secret the
-- platform signs its webhooks with. The secret is kept as given: verifying an HMAC needs it.
CREATE TABLE connector (
    site_id     text        NOT NULL,
    platform    text        NOT NULL,
    store_id    text        NOT NULL,
    site_key    text        NOT NULL,
    secret      text        NOT NULL,
    enabled     boolean     NOT NULL,
    create_time timestamptz NOT NULL,
    update_time timestamptz NOT NULL,
    PRIMARY KEY (site_id, platform)
);
CREATE UNIQUE INDEX connector_by_key ON connector (site_key, platform);

-- Verified webhooks, stored before the platform is answered and applied afterwards by a worker:
-- an outage of a service delays a delivery, never loses it. dedup_key makes a repeated delivery one row.
-- state: pending (waiting or being retried), done, ignored (a topic or status that maps to nothing),
-- refused (a service or the mapping refused it: retrying cannot help), failed (retries exhausted).
CREATE TABLE connector_inbox (
    inbox_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id           text        NOT NULL,
    store_id          text        NOT NULL,
    site_key          text        NOT NULL,
    platform          text        NOT NULL,
    dedup_key         text        NOT NULL,
    delivery_id       text        NOT NULL,
    topic             text        NOT NULL,
    payload           bytea       NOT NULL,
    state             text        NOT NULL,
    attempts          integer     NOT NULL DEFAULT 0,
    outcome           text,
    detail            text,
    receive_time      timestamptz NOT NULL,
    next_attempt_time timestamptz NOT NULL,
    finish_time       timestamptz,
    UNIQUE (site_id, platform, dedup_key)
);
-- The worker's claim reads only what is due.
CREATE INDEX connector_inbox_due ON connector_inbox (next_attempt_time, inbox_id) WHERE state = 'pending';
CREATE INDEX connector_inbox_by_site ON connector_inbox (site_id, platform, inbox_id DESC);

-- What the cart proto has no field for: the platform's own return-to-checkout URL of a cart
-- (Shopify's abandoned_checkout_url, WooCommerce's payment_url), and the platform's last change
-- time, so that an older update applied late does not overwrite a newer one.
CREATE TABLE connector_cart (
    store_id           text        NOT NULL,
    cart_id            text        NOT NULL,
    site_id            text        NOT NULL,
    platform           text        NOT NULL,
    return_url         text,
    source_update_time timestamptz,
    update_time        timestamptz NOT NULL,
    PRIMARY KEY (store_id, cart_id)
);
