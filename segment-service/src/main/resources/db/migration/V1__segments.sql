-- Contacts: who can be segmented and notified.
CREATE TABLE contact (
    contact_id     text        PRIMARY KEY,
    email          text,
    email_key      text        UNIQUE,          -- lower-cased e-mail, for lookups
    first_name     text,
    last_name      text,
    phone          text,
    company        text,
    consent_state  smallint    NOT NULL DEFAULT 0,
    consent_source text,
    consent_time   timestamptz,
    create_time    timestamptz NOT NULL,
    update_time    timestamptz NOT NULL
);

CREATE TABLE visitor_link (
    store_id   text        NOT NULL,
    visitor_id text        NOT NULL,
    contact_id text        NOT NULL REFERENCES contact ON DELETE CASCADE,
    link_time  timestamptz NOT NULL,
    PRIMARY KEY (store_id, visitor_id)
);
CREATE INDEX visitor_link_by_contact ON visitor_link (contact_id);

-- Erased contacts (by id and by e-mail hash): never recreated by tracking.
CREATE TABLE suppression (
    subject     text        PRIMARY KEY,
    create_time timestamptz NOT NULL
);

-- Every cart as the cart event stream last described it (anonymous ones included).
-- state: 1 active, 2 abandoned, 3 converted.
CREATE TABLE cart_fact (
    store_id      text        NOT NULL,
    cart_id       text        NOT NULL,
    contact_id    text,
    visitor_id    text,
    state         smallint    NOT NULL,
    status        text,
    total         numeric,
    currency_code text        NOT NULL,
    items         jsonb       NOT NULL,
    product_count integer     NOT NULL,
    episode       integer     NOT NULL,
    recovered     boolean     NOT NULL,
    create_time   timestamptz NOT NULL,
    update_time   timestamptz NOT NULL,
    abandon_time  timestamptz,
    convert_time  timestamptz,
    PRIMARY KEY (store_id, cart_id)
);
CREATE INDEX cart_fact_by_contact ON cart_fact (contact_id, store_id) WHERE contact_id IS NOT NULL;
CREATE INDEX cart_fact_by_abandon ON cart_fact (store_id, abandon_time) WHERE abandon_time IS NOT NULL;

-- Every purchase as the transaction event stream last described it.
CREATE TABLE purchase_fact (
    store_id       text        NOT NULL,
    transaction_id text        NOT NULL,
    contact_id     text,
    visitor_id     text,
    cart_id        text,
    currency_code  text        NOT NULL,
    revenue        numeric     NOT NULL,
    occur_time     timestamptz NOT NULL,
    conversion     smallint    NOT NULL,
    items          jsonb       NOT NULL,
    PRIMARY KEY (store_id, transaction_id)
);
CREATE INDEX purchase_fact_by_contact ON purchase_fact (contact_id, store_id) WHERE contact_id IS NOT NULL;

-- What segment questions read: one row per contact and store, and one per contact for all
-- stores (scope ''). The last abandoned cart is the contact's most recently abandoned cart that
-- is still abandoned, in that scope.
CREATE TABLE contact_fact (
    contact_id          text        NOT NULL,
    scope               text        NOT NULL,
    has_abandoned       boolean     NOT NULL,
    last_cart_store_id  text,
    last_cart_id        text,
    last_total          numeric,
    last_currency_code  text,
    last_product_count  integer,
    last_product_names  text[],       -- lower-cased
    last_status         text,
    last_abandon_time   timestamptz,
    recovered_count     integer     NOT NULL,
    purchase_count      integer     NOT NULL,
    last_purchase_time  timestamptz,
    PRIMARY KEY (contact_id, scope)
);
CREATE INDEX contact_fact_abandoned ON contact_fact (scope, contact_id) WHERE has_abandoned;
CREATE INDEX contact_fact_recovered ON contact_fact (scope, contact_id) WHERE recovered_count > 0;
CREATE INDEX contact_fact_purchased ON contact_fact (scope, last_purchase_time) WHERE purchase_count > 0;

-- How far each event stream has been applied, updated with the facts it produced.
CREATE TABLE stream_position (
    stream   text   PRIMARY KEY,
    sequence bigint NOT NULL
);
INSERT INTO stream_position (stream, sequence) VALUES ('cart', 0), ('transaction', 0);
