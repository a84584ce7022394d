package org.relance.kit.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import org.jboss.logmanager.ExtFormatter;
import org.jboss.logmanager.ExtLogRecord;

/** One JSON object per log line: time, level, logger, thread, message, trace id and error. */
public final class JsonLogFormatter extends ExtFormatter {

    @Override
    public String format(ExtLogRecord record) {
        StringBuilder b = new StringBuilder(256).append('{');
        field(b, "time", Instant.ofEpochMilli(record.getMillis()).toString()).append(',');
        field(b, "level", record.getLevel().getName()).append(',');
        field(b, "logger", record.getLoggerName()).append(',');
        field(b, "thread", record.getThreadName()).append(',');
        Object traceId = record.getMdc("traceId");
        if (traceId != null) {
            field(b, "traceId", traceId.toString()).append(',');
        }
        field(b, "message", formatMessage(record));
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            b.append(',');
            field(b, "error", trace.toString());
        }
        return b.append("}\n").toString();
    }

    private static StringBuilder field(StringBuilder b, String name, String value) {
        b.append('"').append(name).append("\":");
        if (value == null) {
            return b.append("null");
        }
        b.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
    }
}
