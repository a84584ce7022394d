package org.relance.transaction.imports;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackInputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The rows of a CSV file read as it arrives (Apache Commons CSV, RFC 4180 quoting), UTF-8 with or
 * without a byte order mark, each with the line it starts on; bytes that are not UTF-8 read as
 * U+FFFD. Memory stays bounded: the parser holds
 * one row (a row longer than the limit, such as an unclosed quote running to the end of the file,
 * stops the reading) plus small read buffers.
 */
public final class CsvSource implements Closeable {
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final RowLengthLimit limit;
    private final CSVParser parser;
    private final Iterator<CSVRecord> records;
    private boolean headerRead;

    /** A row of the file: the line it starts on and its values. */
    public record Line(long number, List<String> values) {
    }

    public CsvSource(InputStream file, char delimiter, int maxRowLength) throws IOException {
        // Bytes that are not UTF-8 become U+FFFD, so that the row holding them is rejected with its
        // line (CsvRow#checkText) instead of a failure some kilobytes of read-ahead earlier.
        Reader text = new InputStreamReader(withoutBom(file), StandardCharsets.UTF_8);
        limit = new RowLengthLimit(text, maxRowLength);
        CSVFormat format = CSVFormat.RFC4180.builder()
                .setDelimiter(delimiter)
                .setQuote('"')
                .setIgnoreEmptyLines(false)
                .setIgnoreSurroundingSpaces(false)
                .setTrim(false)
                .get();
        parser = CSVParser.builder().setReader(limit).setFormat(format).get();
        records = parser.iterator();
    }

    /** The header row, or {@code null} when the file is empty. */
    public List<String> header() throws UnreadableFileException, ImportAbortedException {
        if (headerRead) {
            throw new IllegalStateException("the header was read already");
        }
        headerRead = true;
        Line first = read();
        return first == null ? null : first.values();
    }

    /** The next row that is not blank (blank lines and rows of empty fields are skipped), or {@code null} at the end. */
    public Line next() throws UnreadableFileException, ImportAbortedException {
        if (!headerRead) {
            throw new IllegalStateException("read the header first");
        }
        for (Line line = read(); line != null; line = read()) {
            if (!blank(line.values())) {
                return line;
            }
        }
        return null;
    }

    private Line read() throws UnreadableFileException, ImportAbortedException {
        long start = parser.getCurrentLineNumber() + 1;
        limit.startRow();
        try {
            if (!records.hasNext()) {
                return null;
            }
            return new Line(start, records.next().toList());
        } catch (UncheckedIOException e) {
            IOException cause = e.getCause();
            if (cause instanceof ImportAbortedException aborted) {
                throw aborted;
            }
            throw new UnreadableFileException(start, reason(cause));
        }
    }

    private String reason(IOException cause) {
        if (cause instanceof RowTooLongException) {
            return cause.getMessage();
        }
        String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        if (message.contains("EOF reached before encapsulated token finished")) {
            return "broken quoting: a quoted field starting in this row is not closed before the end of the file";
        }
        if (message.contains("encapsulated token")) {
            return "broken quoting: a closing quote must be followed by the delimiter or the end of the line ("
                    + message + "); write a quote inside a quoted field as \"\"";
        }
        return "the file cannot be read from this row on: " + message;
    }

    private static boolean blank(List<String> values) {
        for (String value : values) {
            if (!value.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** {@code in} past a UTF-8 byte order mark, if it starts with one. */
    static InputStream withoutBom(InputStream in) throws IOException {
        PushbackInputStream pushback = new PushbackInputStream(in, BOM.length);
        byte[] start = new byte[BOM.length];
        int n = 0;
        while (n < start.length) {
            int read = pushback.read(start, n, start.length - n);
            if (read < 0) {
                break;
            }
            n += read;
        }
        boolean bom = n == BOM.length && start[0] == BOM[0] && start[1] == BOM[1] && start[2] == BOM[2];
        if (!bom && n > 0) {
            pushback.unread(start, 0, n);
        }
        return pushback;
    }

    @Override
    public void close() throws IOException {
        parser.close();
    }

    private static final class RowTooLongException extends IOException {
        RowTooLongException(int max) {
            super("a row is longer than " + max + " characters (an unclosed quote?); nothing after it was read");
        }
    }

    /** Counts the characters read since the current row started, so that no row can fill the memory. */
    private static final class RowLengthLimit extends Reader {
        private final Reader in;
        private final int max;
        private long sinceRowStart;

        RowLengthLimit(Reader in, int max) {
            this.in = in;
            this.max = max;
        }

        void startRow() {
            sinceRowStart = 0;
        }

        @Override
        public int read(char[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                sinceRowStart += n;
                // The parser reads ahead a buffer at a time, so allow one buffer more than the limit.
                if (sinceRowStart > (long) max + length) {
                    throw new RowTooLongException(max);
                }
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
