-- Where restore links of a site send the shopper back (edge-http's GET /r/{token}).
ALTER TABLE site ADD COLUMN restore_url text NOT NULL DEFAULT '';

-- The demo store of the local run: restore links open the demo shop's cart page, and carts are
-- abandoned after two minutes so that the tour shows it (it was created with an hour before).
UPDATE site SET restore_url = '/demo/cart.html' WHERE site_id = 'demo-shop' AND restore_url = '';
UPDATE store SET abandonment_delay_seconds = 120 WHERE store_id = 'demo' AND abandonment_delay_seconds = 3600;
