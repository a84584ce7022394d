package org.relance.kit.logging;

import java.util.logging.Level;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class JsonLogFormatterTest {
    @Test
    void aLineIsOneJsonObjectWithEscapedText() {
        ExtLogRecord record = new ExtLogRecord(Level.WARNING, "cart \"c1\"\nrefused\u0001", ExtLogRecord.FormatStyle.NO_FORMAT,
                JsonLogFormatterTest.class.getName());
        record.setLoggerName("org.relance.cart");
        record.setMillis(0);
        String line = new JsonLogFormatter().format(record);
        assertThat(line).startsWith("{\"time\":\"1970-01-01T00:00:00Z\",\"level\":\"WARNING\",\"logger\":\"org.relance.cart\"")
                .contains("\"message\":\"cart \\\"c1\\\"\\nrefused\\u0001\"")
                .endsWith("}\n")
                .doesNotContain("\n{");
        assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n");
    }
}
