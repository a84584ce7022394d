-- The site a cart was tracked on: restore links name it (the edge sends the shopper to that
-- site's restore URL).
ALTER TABLE cart_fact ADD COLUMN site_id text;

-- Abandoned-cart triggers. store_id '' watches every store. state: 1 active, 2 paused.
-- active_since: creation or last resume; carts whose wait ended before it are never notified.
CREATE TABLE cart_trigger (
    trigger_id            text        PRIMARY KEY,
    store_id              text        NOT NULL,
    display_name          text        NOT NULL,
    state                 smallint    NOT NULL,
    product_ids           text[]      NOT NULL,
    product_name_contains text,
    category_ids          text[]      NOT NULL,
    min_value             numeric,
    max_value             numeric,
    value_currency        text,
    wait_seconds          bigint      NOT NULL,
    follow_up_seconds     bigint[]    NOT NULL,
    condition             bytea,                      -- relance.segment.v1.SegmentCondition
    quiet_start           text,
    quiet_end             text,
    quiet_policy          smallint,
    webhook_url           text        NOT NULL,
    secret_sealed         text,                       -- AES-GCM, never returned
    secret_ref            text,
    timeout_millis        integer     NOT NULL,
    active_since          timestamptz NOT NULL,
    create_time           timestamptz NOT NULL,
    update_time           timestamptz NOT NULL
);
CREATE INDEX cart_trigger_by_store ON cart_trigger (store_id);

-- Request ids already applied (CreateTrigger, RedeliverNotification) and what they answered.
CREATE TABLE trigger_request (
    request_id  text        PRIMARY KEY,
    kind        text        NOT NULL,
    subject_id  text        NOT NULL,
    create_time timestamptz NOT NULL
);

-- One row per (trigger, cart, episode, step): the claim. Its unique key is what keeps two
-- replicas from both notifying; lease_owner/lease_until say which replica is delivering it now.
-- state: 1 pending, 2 sent, 3 skipped, 4 failed.
CREATE TABLE notification (
    notification_id   text        PRIMARY KEY,
    trigger_id        text        NOT NULL,
    store_id          text        NOT NULL,
    cart_id           text        NOT NULL,
    contact_id        text        NOT NULL,
    episode           integer     NOT NULL,
    step              integer     NOT NULL,
    state             smallint    NOT NULL,
    skip_reason       smallint    NOT NULL DEFAULT 0,
    attempt_count     integer     NOT NULL DEFAULT 0,
    last_error        text,
    last_status_code  integer     NOT NULL DEFAULT 0,
    due_time          timestamptz NOT NULL,
    create_time       timestamptz NOT NULL,
    last_attempt_time timestamptz,
    next_attempt_time timestamptz,
    complete_time     timestamptz,
    delivery_start    timestamptz,                    -- first attempt of the current delivery (retries stop 24 h after it)
    lease_owner       text,
    lease_until       timestamptz,
    payload           bytea,                          -- relance.segment.v1.NotificationPayload, built once
    UNIQUE (trigger_id, store_id, cart_id, episode, step)
);
CREATE INDEX notification_due ON notification (next_attempt_time) WHERE state = 1;
CREATE INDEX notification_by_cart ON notification (store_id, cart_id);
CREATE INDEX notification_by_contact ON notification (contact_id);
CREATE INDEX notification_by_create ON notification (create_time DESC, notification_id DESC);

-- The delivery log: every attempt with its answer.
CREATE TABLE notification_attempt (
    notification_id text        NOT NULL REFERENCES notification ON DELETE CASCADE,
    attempt         integer     NOT NULL,
    attempt_time    timestamptz NOT NULL,
    status_code     integer     NOT NULL,
    error           text,
    duration_millis integer     NOT NULL,
    PRIMARY KEY (notification_id, attempt, attempt_time)
);
