-- Stores and their sites.
CREATE TABLE store (
    store_id                  text        PRIMARY KEY,
    display_name              text        NOT NULL,
    currency_code             text        NOT NULL,
    time_zone                 text        NOT NULL,
    abandonment_delay_seconds bigint      NOT NULL CHECK (abandonment_delay_seconds > 0),
    cart_retention_seconds    bigint      NOT NULL CHECK (cart_retention_seconds > 0),
    create_time               timestamptz NOT NULL,
    update_time               timestamptz NOT NULL
);

CREATE TABLE site (
    site_id         text        PRIMARY KEY,
    store_id        text        NOT NULL REFERENCES store (store_id),
    display_name    text        NOT NULL,
    site_key        text        NOT NULL UNIQUE,
    allowed_origins text[]      NOT NULL,
    tracking_mode   smallint    NOT NULL,
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL
);
CREATE INDEX site_by_store ON site (store_id, site_id);

-- Tracked carts. Items are kept with their cart (a cart is read and written whole).
-- state: 1 active, 2 abandoned, 3 converted. outcome (converted only): 1 converted, 2 recovered, 3 untracked.
CREATE TABLE cart (
    store_id       text        NOT NULL,
    cart_id        text        NOT NULL,
    site_id        text,
    visitor_id     text,
    contact_id     text,
    state          smallint    NOT NULL,
    status         text,
    total_price    numeric,
    currency_code  text        NOT NULL,
    items          jsonb       NOT NULL,
    episode        integer     NOT NULL DEFAULT 0,
    recovered      boolean     NOT NULL DEFAULT false,
    outcome        smallint,
    transaction_id text,
    create_time    timestamptz NOT NULL,
    update_time    timestamptz NOT NULL,
    abandon_time   timestamptz,
    convert_time   timestamptz,
    PRIMARY KEY (store_id, cart_id)
);
-- The sweeper's one indexed range per store.
CREATE INDEX cart_active_by_update ON cart (store_id, update_time) WHERE state = 1;
-- Retention purge.
CREATE INDEX cart_by_update ON cart (store_id, update_time);
CREATE INDEX cart_by_contact ON cart (contact_id, update_time DESC) WHERE contact_id IS NOT NULL;
CREATE INDEX cart_by_visitor ON cart (store_id, visitor_id, update_time DESC) WHERE visitor_id IS NOT NULL;

-- Submits already applied, so that a repeat is applied once and answered the same.
CREATE TABLE cart_submit (
    store_id    text        NOT NULL,
    submit_id   text        NOT NULL,
    fingerprint bytea       NOT NULL,
    cart_ids    text[]      NOT NULL,
    apply_time  timestamptz NOT NULL,
    PRIMARY KEY (store_id, submit_id)
);
CREATE INDEX cart_submit_by_time ON cart_submit (apply_time);

-- Visitors known to be a contact.
CREATE TABLE visitor_contact (
    store_id   text        NOT NULL,
    visitor_id text        NOT NULL,
    contact_id text        NOT NULL,
    link_time  timestamptz NOT NULL,
    PRIMARY KEY (store_id, visitor_id)
);
CREATE INDEX visitor_contact_by_contact ON visitor_contact (contact_id);

-- Erased contacts and their visitors: never tracked again.
CREATE TABLE suppression (
    subject    text        PRIMARY KEY,
    erase_time timestamptz NOT NULL
);

-- The cart event log (outbox). Sequences come from event_counter, incremented in the
-- writing transaction: the row lock orders commits, so sequences are gap-free in commit order.
CREATE TABLE cart_event (
    sequence   bigint      PRIMARY KEY,
    event_type smallint    NOT NULL,
    occur_time timestamptz NOT NULL,
    store_id   text        NOT NULL,
    cart_id    text        NOT NULL,
    cart       jsonb       NOT NULL
);
CREATE INDEX cart_event_by_store ON cart_event (store_id, sequence);
CREATE INDEX cart_event_by_cart ON cart_event (store_id, cart_id);
CREATE INDEX cart_event_by_time ON cart_event (occur_time);

CREATE TABLE event_counter (
    name  text   PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO event_counter (name, value) VALUES ('cart_event', 0);
