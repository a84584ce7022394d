-- Page views and URL journeys (seed 004).

-- Per store: how long raw page views are kept, and how long after a cart-page view a thank-you
-- page view still makes a purchase.
ALTER TABLE store ADD COLUMN page_view_retention_seconds bigint NOT NULL DEFAULT 2592000
    CHECK (page_view_retention_seconds > 0);
ALTER TABLE store ADD COLUMN url_purchase_window_seconds bigint NOT NULL DEFAULT 86400
    CHECK (url_purchase_window_seconds > 0);

-- Per site: automatic page views on or off, and the URL journey's two patterns ('' = none).
ALTER TABLE site ADD COLUMN page_views_disabled boolean NOT NULL DEFAULT false;
ALTER TABLE site ADD COLUMN cart_page_pattern text NOT NULL DEFAULT '';
ALTER TABLE site ADD COLUMN thank_you_page_pattern text NOT NULL DEFAULT '';

-- How a cart is tracked: 1 cart calls, 2 page addresses (a URL-tracked cart).
ALTER TABLE cart ADD COLUMN source smallint NOT NULL DEFAULT 1;
-- A visitor's open URL-tracked cart, found by every cart-page and thank-you view.
CREATE INDEX cart_open_url_by_visitor ON cart (store_id, visitor_id) WHERE source = 2 AND state IN (1, 2);

-- The page event log: raw page views (event_type 1, kept for the store's retention) and visitor
-- links (event_type 2), in one gap-free sequence so that a consumer applying them in order
-- attributes every view to the right contact. Same shape as cart_event (see EventLog).
CREATE TABLE page_event (
    sequence   bigint      PRIMARY KEY,
    event_type smallint    NOT NULL,
    occur_time timestamptz NOT NULL,
    store_id   text        NOT NULL,
    visitor_id text        NOT NULL,
    view       jsonb       NOT NULL
);
CREATE INDEX page_event_by_store ON page_event (store_id, sequence);
CREATE INDEX page_event_by_visitor ON page_event (store_id, visitor_id, sequence);
CREATE INDEX page_event_by_time ON page_event (store_id, occur_time);
-- A view id is recorded once per visitor.
CREATE UNIQUE INDEX page_event_view_once ON page_event (store_id, visitor_id, (view ->> 'view_id')) WHERE event_type = 1;

INSERT INTO event_counter (name, value) VALUES ('page_event', 0);

-- Erasure finds the views recorded for a contact whose visitor was never linked.
CREATE INDEX page_event_by_contact ON page_event ((view ->> 'contact_id')) WHERE view ? 'contact_id';
