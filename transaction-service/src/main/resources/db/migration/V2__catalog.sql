-- The product catalogue (seed 001's Product table). Absent optional values are NULL, never ''.
CREATE TABLE product (
    store_id       text        NOT NULL,
    product_id     text        NOT NULL,
    name           text        NOT NULL,
    description    text,
    url            text,
    image_url      text,
    image_alt_text text,
    unit_price     numeric,
    currency_code  text,
    category_id    text,
    create_time    timestamptz NOT NULL,
    update_time    timestamptz NOT NULL,
    PRIMARY KEY (store_id, product_id),
    CHECK ((unit_price IS NULL) = (currency_code IS NULL))
);
CREATE INDEX product_by_category ON product (store_id, category_id, product_id) WHERE category_id IS NOT NULL;

-- Product categories (seed 001's ProductCategory table). A parent need not exist; cycles are refused by the service.
CREATE TABLE product_category (
    store_id           text        NOT NULL,
    category_id        text        NOT NULL,
    name               text        NOT NULL,
    parent_category_id text,
    create_time        timestamptz NOT NULL,
    update_time        timestamptz NOT NULL,
    PRIMARY KEY (store_id, category_id),
    CHECK (parent_category_id IS DISTINCT FROM category_id)
);
CREATE INDEX product_category_by_parent ON product_category (store_id, parent_category_id, category_id)
    WHERE parent_category_id IS NOT NULL;

-- Request ids of catalogue upserts and imports already applied, with their answer, so that a retry is applied once.
CREATE TABLE catalog_request (
    store_id    text        NOT NULL,
    request_id  text        NOT NULL,
    fingerprint bytea       NOT NULL,
    response    jsonb       NOT NULL,
    create_time timestamptz NOT NULL,
    PRIMARY KEY (store_id, request_id)
);
CREATE INDEX catalog_request_by_time ON catalog_request (create_time);
