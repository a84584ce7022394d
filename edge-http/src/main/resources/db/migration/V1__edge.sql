-- Browser events the edge refused, with the reason: nothing is dropped silently (DESIGN §8).
-- site_id and store_id are empty when the key named no site.
CREATE TABLE rejected_event (
    rejection_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_key       text        NOT NULL,
    site_id        text        NOT NULL,
    store_id       text        NOT NULL,
    submit_id      text,
    kind           text        NOT NULL,
    reason         text        NOT NULL,
    field          text,
    message        text        NOT NULL,
    http_status    integer     NOT NULL,
    origin         text,
    client_address text,
    payload        text,
    payload_bytes  integer     NOT NULL,
    -- Repeats of one refusal (same key, address and reason) within a moment are one row: a flood
    -- of rate-limited or unknown-key requests must not turn into a flood of inserts.
    occurrences    integer     NOT NULL DEFAULT 1,
    receive_time   timestamptz NOT NULL
);
CREATE INDEX rejected_event_by_site ON rejected_event (site_id, rejection_id DESC);
CREATE INDEX rejected_event_by_key ON rejected_event (site_key, rejection_id DESC);

-- Clicks on restore links: one row per click, for the delivery log and recovery statistics.
CREATE TABLE link_click (
    click_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id       text        NOT NULL,
    site_id        text        NOT NULL,
    cart_id        text        NOT NULL,
    contact_id     text        NOT NULL,
    reference      text        NOT NULL,
    client_address text,
    user_agent     text,
    click_time     timestamptz NOT NULL
);
CREATE INDEX link_click_by_cart ON link_click (store_id, cart_id, click_id);
