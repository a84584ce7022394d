package org.relance.transaction.imports;

import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.relance.kit.error.FieldViolation;
import org.relance.kit.error.Violations;
import org.relance.kit.time.Instants;

/**
 * One data row of an import, read through the header map, collecting its problems: each becomes a
 * {@link RowRejection} naming the file's column. A value made only of spaces counts as absent;
 * numbers, times and codes are trimmed, texts are kept as written.
 */
public final class CsvRow {
    private static final Pattern POINT_NUMBER = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)");
    private static final Pattern COMMA_NUMBER = Pattern.compile("[+-]?(\\d+(,\\d*)?|,\\d+)");
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d{1,10}");
    private static final int NUMBER_MAX_LENGTH = 40;

    private final long line;
    private final List<String> values;
    private final HeaderMap columns;
    private final List<RowRejection> problems = new ArrayList<>(0);

    public CsvRow(long line, List<String> values, HeaderMap columns) {
        this.line = line;
        this.values = values;
        this.columns = columns;
    }

    /** Line of the file where the row starts. */
    public long line() {
        return line;
    }

    /** The value of {@code field} as written, or {@code null} when there is no column for it or the value is blank. */
    public String text(String field) {
        int column = columns.column(field);
        if (column < 0 || column >= values.size()) {
            return null;
        }
        String value = values.get(column);
        return value.isBlank() ? null : value;
    }

    /** The value of {@code field} without surrounding spaces, or {@code null}. */
    public String trimmed(String field) {
        String value = text(field);
        return value == null ? null : value.strip();
    }

    /**
     * An amount written with {@code separator} ('.' or ','), no thousands separators, no exponent;
     * {@code null} (with a problem when required or malformed) otherwise. Its sign is not checked here.
     */
    public BigDecimal decimal(String field, char separator, boolean required) {
        String value = trimmed(field);
        if (value == null) {
            if (required) {
                problem(field, "is required");
            }
            return null;
        }
        Pattern pattern = separator == ',' ? COMMA_NUMBER : POINT_NUMBER;
        if (value.length() > NUMBER_MAX_LENGTH || !pattern.matcher(value).matches()) {
            problem(field, "must be a number such as " + (separator == ',' ? "12,50" : "12.50") + " (got " + shorten(value) + ")");
            return null;
        }
        String plain = separator == ',' ? value.replace(',', '.') : value;
        if (plain.endsWith(".")) {
            plain = plain.substring(0, plain.length() - 1);
        }
        return new BigDecimal(plain.startsWith("+") ? plain.substring(1) : plain);
    }

    /** A whole number; {@code null} (with a problem when required or malformed) otherwise. */
    public Long integer(String field, boolean required) {
        String value = trimmed(field);
        if (value == null) {
            if (required) {
                problem(field, "is required");
            }
            return null;
        }
        if (!INTEGER.matcher(value).matches()) {
            problem(field, "must be a whole number (got " + shorten(value) + ")");
            return null;
        }
        return Long.parseLong(value.startsWith("+") ? value.substring(1) : value);
    }

    /**
     * A time: RFC 3339 ({@code 2024-05-01T10:15:00Z}, {@code 2024-05-01 10:15:00+02:00}), or a local
     * date-time or date in {@code zone}; in microseconds.
     */
    public Instant instant(String field, ZoneId zone, boolean required) {
        String value = trimmed(field);
        if (value == null) {
            if (required) {
                problem(field, "is required");
            }
            return null;
        }
        String iso = value.length() > 10 && value.charAt(10) == ' ' ? value.substring(0, 10) + 'T' + value.substring(11) : value;
        try {
            return Instants.micros(OffsetDateTime.parse(iso).toInstant());
        } catch (DateTimeException e) {
            // not with an offset; try local forms below
        }
        try {
            return Instants.micros(LocalDateTime.parse(iso).atZone(zone).toInstant());
        } catch (DateTimeException e) {
            // nor a local date-time
        }
        try {
            return LocalDate.parse(iso).atStartOfDay(zone).toInstant();
        } catch (DateTimeException e) {
            problem(field, "must be a date-time such as 2024-05-01T10:15:00Z or 2024-05-01 10:15:00 (got " + shorten(value) + ")");
            return null;
        }
    }

    /** Records a problem of {@code field}: the rejection names its column. */
    public void problem(String field, String description) {
        String column = columns.column(field) < 0 ? "" : columns.columnName(field);
        problems.add(new RowRejection(line, column, (column.isEmpty() ? field : column) + " " + description));
    }

    /**
     * Rejects the values holding U+FFFD, which is what bytes that are not UTF-8 read as; true when
     * there is none.
     */
    public boolean checkText() {
        boolean ok = true;
        for (int column = 0; column < values.size(); column++) {
            if (values.get(column).indexOf('\uFFFD') >= 0) {
                String name = column < columns.size() ? columns.header(column) : "";
                problems.add(new RowRejection(line, name, (name.isEmpty() ? "the row" : name)
                        + " is not UTF-8 text (save the file as UTF-8)"));
                ok = false;
            }
        }
        return ok;
    }

    /** Records a problem of the whole row. */
    public void rowProblem(String reason) {
        problems.add(new RowRejection(line, "", reason));
    }

    /** Records the violations of a domain check whose field names are this import's field names. */
    public void problems(Violations v) {
        if (!v.isEmpty()) {
            for (FieldViolation violation : v.exception().violations()) {
                problem(violation.field(), violation.description());
            }
        }
    }

    /** Whether a problem was recorded. */
    public boolean rejected() {
        return !problems.isEmpty();
    }

    /** The problems recorded, in the order found. */
    public List<RowRejection> problems() {
        return problems;
    }

    private static String shorten(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "…";
    }
}
