-- Page visits (seed 004), from PageViewService.WatchPageEvents. Raw page views stay in the cart
-- service for the store's page_view_retention; what segment questions need is derived here and
-- kept until erasure: a dictionary of the distinct URLs, and daily view counts per contact (or
-- per visitor until the visitor is linked to a contact). A visited-URL question matches its
-- pattern against the dictionary (thousands of rows), then sums the counts of the matching URL
-- ids through the index by URL: it never reads the views themselves.

-- One row per distinct normalised URL of a store.
CREATE TABLE page_url (
    url_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id       text NOT NULL,
    url            text NOT NULL,           -- normalised (PageUrls.normalize), as the cart service sent it
    path_and_query text NOT NULL,           -- what a pattern starting with '/' is matched against
    UNIQUE (store_id, url)
);

-- Views per contact, URL and UTC day. The primary key serves one contact's questions (match,
-- erasure); the index by URL serves counts and streams (matching URLs first, then their days).
CREATE TABLE contact_page_day (
    contact_id text    NOT NULL,
    url_id     bigint  NOT NULL REFERENCES page_url,
    day        date    NOT NULL,
    store_id   text    NOT NULL,            -- the URL's store, kept for distribution by store or contact
    views      bigint  NOT NULL,
    PRIMARY KEY (contact_id, url_id, day)
);
CREATE INDEX contact_page_day_by_url ON contact_page_day (url_id, day) INCLUDE (contact_id, views);

-- Views of visitors whose contact is not known yet; moved to contact_page_day when the visitor
-- is linked (VISITOR_LINKED), in the stream's order.
CREATE TABLE visitor_page_day (
    store_id   text    NOT NULL,
    visitor_id text    NOT NULL,
    url_id     bigint  NOT NULL REFERENCES page_url,
    day        date    NOT NULL,
    views      bigint  NOT NULL,
    PRIMARY KEY (store_id, visitor_id, url_id, day)
);

-- Visitors linked to a contact as the page stream said (VISITOR_LINKED): a later view that
-- arrives without its contact is still the contact's.
CREATE TABLE page_visitor (
    store_id   text NOT NULL,
    visitor_id text NOT NULL,
    contact_id text NOT NULL,
    PRIMARY KEY (store_id, visitor_id)
);
CREATE INDEX page_visitor_by_contact ON page_visitor (contact_id);

INSERT INTO stream_position (stream, sequence) VALUES ('page', 0);

-- How a cart is tracked (CartSource: 0 unknown, 1 by cart calls, 2 by page addresses). A
-- URL-tracked cart that was converted is a URL-tracked purchase (thank-you page after the cart
-- page): HasUrlTrackedPurchase reads the contact's count and latest time of those.
ALTER TABLE cart_fact ADD COLUMN source smallint NOT NULL DEFAULT 0;
ALTER TABLE contact_fact ADD COLUMN url_purchase_count integer NOT NULL DEFAULT 0;
ALTER TABLE contact_fact ADD COLUMN last_url_purchase_time timestamptz;
CREATE INDEX contact_fact_url_purchased ON contact_fact (scope, last_url_purchase_time) WHERE url_purchase_count > 0;
