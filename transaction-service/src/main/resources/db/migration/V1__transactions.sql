-- Stores as last read from the cart service, so that purchases are recorded while it is away.
CREATE TABLE known_store (
    store_id      text        PRIMARY KEY,
    currency_code text        NOT NULL,
    time_zone     text        NOT NULL,
    read_time     timestamptz NOT NULL
);

-- Transactions (seed 001's Transaction table). cart_conversion: 1 no cart, 2 pending,
-- 3 converted, 4 recovered, 5 untracked.
CREATE TABLE shop_transaction (
    store_id        text        NOT NULL,
    transaction_id  text        NOT NULL,
    cart_id         text,
    site_id         text,
    contact_id      text,
    visitor_id      text,
    affiliation     text,
    currency_code   text        NOT NULL,
    revenue         numeric     NOT NULL,
    tax             numeric     NOT NULL,
    shipping        numeric     NOT NULL,
    occur_time      timestamptz NOT NULL,
    record_time     timestamptz NOT NULL,
    cart_conversion smallint    NOT NULL,
    fingerprint     bytea       NOT NULL,
    PRIMARY KEY (store_id, transaction_id)
);
CREATE INDEX shop_transaction_by_contact ON shop_transaction (contact_id, occur_time DESC) WHERE contact_id IS NOT NULL;
CREATE INDEX shop_transaction_by_visitor ON shop_transaction (store_id, visitor_id, occur_time DESC) WHERE visitor_id IS NOT NULL;
CREATE INDEX shop_transaction_by_time ON shop_transaction (store_id, occur_time);

-- Their items (seed 001's Item table).
CREATE TABLE shop_transaction_item (
    store_id       text    NOT NULL,
    transaction_id text    NOT NULL,
    line           integer NOT NULL,
    product_id     text    NOT NULL,
    product_name   text    NOT NULL,
    category       text,
    category_id    text,
    unit_price     numeric NOT NULL,
    total_price    numeric NOT NULL,
    quantity       integer NOT NULL,
    PRIMARY KEY (store_id, transaction_id, product_id),
    FOREIGN KEY (store_id, transaction_id) REFERENCES shop_transaction ON DELETE CASCADE
);

-- Conversions the cart service has not confirmed yet (outbox), retried until it does.
CREATE TABLE pending_conversion (
    store_id          text        NOT NULL,
    transaction_id    text        NOT NULL,
    cart_id           text        NOT NULL,
    contact_id        text,
    occur_time        timestamptz NOT NULL,
    attempts          integer     NOT NULL DEFAULT 0,
    next_attempt_time timestamptz NOT NULL,
    last_error        text,
    PRIMARY KEY (store_id, transaction_id),
    FOREIGN KEY (store_id, transaction_id) REFERENCES shop_transaction ON DELETE CASCADE
);
CREATE INDEX pending_conversion_due ON pending_conversion (next_attempt_time);

CREATE TABLE visitor_contact (
    store_id   text        NOT NULL,
    visitor_id text        NOT NULL,
    contact_id text        NOT NULL,
    link_time  timestamptz NOT NULL,
    PRIMARY KEY (store_id, visitor_id)
);
CREATE INDEX visitor_contact_by_contact ON visitor_contact (contact_id);

CREATE TABLE suppression (
    subject    text        PRIMARY KEY,
    erase_time timestamptz NOT NULL
);

-- The transaction event log (see org.relance.kit.events.EventLog).
CREATE TABLE transaction_event (
    sequence       bigint      PRIMARY KEY,
    event_type     smallint    NOT NULL,
    occur_time     timestamptz NOT NULL,
    store_id       text        NOT NULL,
    transaction_id text        NOT NULL,
    transaction    jsonb       NOT NULL
);
CREATE INDEX transaction_event_by_store ON transaction_event (store_id, sequence);
CREATE INDEX transaction_event_by_transaction ON transaction_event (store_id, transaction_id);

CREATE TABLE event_counter (
    name  text   PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO event_counter (name, value) VALUES ('transaction_event', 0);
