package org.relance.bench;

/**
 * The statements the transaction service runs for one RecordTransaction of a new transaction with
 * a contact, 3 items and no cart (TransactionRepository.record/insert, TransactionRows.insertAll,
 * the kit's EventLog.append), as a pgbench script: one transaction per RecordTransaction.
 * Arrays are text arrays cast as the service's bound arrays are.
 */
final class TransactionSql {
    private TransactionSql() {
    }

    static String script(String store) {
        String id = "('t-' || :run::text || '-' || :id::text)";
        String tx = "'" + store + "'";
        return String.join("\n",
                "\\set id random(1, 1000000000000000)",
                "BEGIN;",
                // lock(): pg_advisory_xact_lock of a 64-bit hash of the store and transaction id
                "SELECT pg_advisory_xact_lock(:id) IS NULL AS locked;",
                // suppressed(): the contact ("contact:c-<n>"; chr(58) is the colon, which pgbench would read as a variable)
                "SELECT subject FROM suppression WHERE subject = ANY(ARRAY['contact' || chr(58) || 'c-' || :id::text]::text[]);",
                // the stored one, if any
                "SELECT store_id, transaction_id, cart_id, site_id, contact_id, visitor_id, affiliation, currency_code, revenue, "
                        + "tax, shipping, occur_time, record_time, cart_conversion, encode(fingerprint, 'hex') AS fp "
                        + "FROM shop_transaction WHERE store_id = " + tx + " AND transaction_id = " + id + " FOR UPDATE;",
                // TransactionRows.insertAll: the head
                "INSERT INTO shop_transaction (store_id, transaction_id, cart_id, site_id, contact_id, visitor_id, affiliation, "
                        + "currency_code, revenue, tax, shipping, occur_time, record_time, cart_conversion, fingerprint) "
                        + "SELECT s, t, ca, si, co, vi, af, cu, re, ta, sh, ot, rt, cc, decode(fp, 'hex') FROM unnest("
                        + "ARRAY[" + tx + "]::text[], ARRAY[" + id + "]::text[], ARRAY[NULL]::text[], ARRAY[NULL]::text[], "
                        + "ARRAY['c-' || :id::text]::text[], ARRAY[NULL]::text[], ARRAY[NULL]::text[], '{EUR}'::text[], "
                        + "'{79.96}'::numeric[], '{0}'::numeric[], '{0}'::numeric[], ARRAY[now()::text]::timestamptz[], "
                        + "ARRAY[now()::text]::timestamptz[], '{1}'::smallint[], "
                        + "'{0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}'::text[]) "
                        + "AS x(s, t, ca, si, co, vi, af, cu, re, ta, sh, ot, rt, cc, fp);",
                // TransactionRows.insertAll: the 3 items
                "INSERT INTO shop_transaction_item (store_id, transaction_id, line, product_id, product_name, category, category_id, "
                        + "unit_price, total_price, quantity) SELECT * FROM unnest(ARRAY[" + tx + ", " + tx + ", " + tx + "]::text[], "
                        + "ARRAY[" + id + ", " + id + ", " + id + "]::text[], '{0,1,2}'::integer[], '{p-1,p-2,p-3}'::text[], "
                        + "'{\"Blue mug\",\"Green tea, 100 g\",\"Tea towel\"}'::text[], '{Kitchen,Grocery,Kitchen}'::text[], "
                        + "'{k1,g1,k1}'::text[], '{19.99,19.99,19.99}'::numeric[], '{39.98,19.99,19.99}'::numeric[], "
                        + "'{2,1,1}'::integer[]);",
                // EventLog.append, one RECORDED event
                "WITH counter AS ( UPDATE event_counter SET value = value + 1 WHERE name = 'transaction_event' "
                        + "RETURNING value - 1 AS base ), inserted AS ( INSERT INTO transaction_event (sequence, event_type, "
                        + "occur_time, store_id, transaction_id, transaction) SELECT counter.base + e.ord, e.event_type, e.occur_time, "
                        + "e.store_id, e.k, e.payload FROM counter, unnest('{1}'::smallint[], ARRAY[now()::text]::timestamptz[], "
                        + "ARRAY[" + tx + "]::text[], ARRAY[" + id + "]::text[], ARRAY[replace(format('" + payload(store) + "', "
                        + id + ", :id::text, now()::text, now()::text), '#', chr(58))]::jsonb[]) WITH ORDINALITY AS e(event_type, occur_time, "
                        + "store_id, k, payload, ord) RETURNING sequence ) SELECT max(sequence) AS last FROM inserted, "
                        + "pg_notify('transaction_event', '');",
                "END;",
                "");
    }

    /**
     * TransactionJson.write of the transaction, a format() string (id, contact number, occur and
     * record times) with '#' for ':' (pgbench would take ":name" for a variable).
     */
    private static String payload(String store) {
        return ( "{\"store_id\":\"" + store + "\",\"transaction_id\":\"%s\",\"cart_id\":null,\"site_id\":null,"
                + "\"contact_id\":\"c-%s\",\"visitor_id\":null,\"affiliation\":null,\"currency_code\":\"EUR\","
                + "\"revenue\":79.96,\"tax\":0,\"shipping\":0,\"items\":["
                + "{\"product_id\":\"p-1\",\"product_name\":\"Blue mug\",\"category\":\"Kitchen\",\"category_id\":\"k1\","
                + "\"unit_price\":19.99,\"total_price\":39.98,\"quantity\":2},"
                + "{\"product_id\":\"p-2\",\"product_name\":\"Green tea, 100 g\",\"category\":\"Grocery\",\"category_id\":\"g1\","
                + "\"unit_price\":19.99,\"total_price\":19.99,\"quantity\":1},"
                + "{\"product_id\":\"p-3\",\"product_name\":\"Tea towel\",\"category\":\"Kitchen\",\"category_id\":\"k1\","
                + "\"unit_price\":19.99,\"total_price\":19.99,\"quantity\":1}],"
                + "\"occur_time\":\"%s\",\"record_time\":\"%s\",\"cart_conversion\":1}").replace(':', '#');
    }
}
