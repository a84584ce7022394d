package org.relance.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SubmitSqlTest {
    @Test
    void bindReplacesHighPlaceholdersFirst() {
        assertEquals("a b c d e f g h i j k", SubmitSql.bind("$1 $2 $3 $4 $5 $6 $7 $8 $9 $10 $11",
                "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"));
    }

    @Test
    void scriptHasEveryStatementOfABatchAndNoPlaceholderLeft() {
        String script = SubmitSql.script("bench", 10);
        assertFalse(Pattern.compile("\\$\\d").matcher(script).find(), script);
        for (String part : List.of("BEGIN;", "pg_advisory_xact_lock", "FROM cart_submit s", "FROM store WHERE",
                "FOR UPDATE", "ON CONFLICT (store_id, cart_id)", "INSERT INTO cart_submit", "pg_notify", "END;")) {
            assertTrue(script.contains(part), part);
        }
        assertTrue(script.contains("generate_series(0, 9)"));
        assertTrue(script.contains(":n * 10"));
    }

    @Test
    void jsonTextsHaveNoPgbenchVariables() {
        // pgbench would read ":null" as the variable "null".
        String script = SubmitSql.script("bench", 1);
        assertFalse(Pattern.compile(":(null|false|true)").matcher(script).find(), script);
    }

    @Test
    void shapeMatchesWhatPgStatStatementsRecords() {
        String recorded = "SELECT s.store_id, s.submit_id, encode(s.fingerprint, $3) AS fp, s.cart_ids, s.apply_time FROM "
                + "cart_submit s WHERE (s.store_id, s.submit_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))";
        assertEquals(SubmitSql.shape(SubmitSql.SUBMIT_LOOKUP), SubmitSql.shape(recorded));
        assertFalse(SubmitSql.shape(SubmitSql.SUBMIT_LOOKUP).equals(SubmitSql.shape(SubmitSql.CART_LOOKUP)));
    }

    @Test
    void parsesPgbenchOutput() {
        Pgbench.Result r = Pgbench.parse("""
                number of transactions actually processed: 41234
                number of failed transactions: 0 (0.000%)
                latency average = 3.881 ms
                initial connection time = 12.345 ms
                tps = 2061.234567 (without initial connection time)
                """);
        assertEquals(2061.234567, r.tps(), 1e-9);
        assertEquals(41234, r.transactions());
        assertEquals(0, r.failed());
        assertEquals(3.881, r.latencyMillis(), 1e-9);
    }

    @Test
    void median() {
        assertEquals(2.0, StartupScenario.median(List.of(3.0, 1.0, 2.0)));
        assertEquals(2.5, StartupScenario.median(List.of(4.0, 1.0, 2.0, 3.0)));
    }
}
