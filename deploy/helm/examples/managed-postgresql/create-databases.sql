-- Run once as the instance's administrator (psql -h <endpoint> -U <admin> -f create-databases.sql).
-- One user owns the four databases: each service migrates its own database at start-up with
-- Flyway, so it needs to create tables there, and nothing more on the instance.
-- Replace the password, and store the same one in the Secret the chart reads.
CREATE ROLE relance LOGIN PASSWORD 'change-me';
-- On a managed instance the administrator is not a superuser: it must be a member of the role
-- to give it databases.
GRANT relance TO CURRENT_USER;
CREATE DATABASE relance_cart OWNER relance;
CREATE DATABASE relance_transaction OWNER relance;
CREATE DATABASE relance_segment OWNER relance;
CREATE DATABASE relance_edge OWNER relance;
