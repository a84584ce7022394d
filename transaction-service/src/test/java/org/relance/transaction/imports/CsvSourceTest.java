package org.relance.transaction.imports;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading CSV files: RFC 4180 quoting, the byte order mark, line numbers, and files that cannot be read. */
class CsvSourceTest {

    @Test
    void aByteOrderMarkIsSkipped() throws Exception {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] text = "idProduct,productName\r\np1,Lampe\r\n".getBytes(StandardCharsets.UTF_8);
        byte[] file = new byte[bom.length + text.length];
        System.arraycopy(bom, 0, file, 0, bom.length);
        System.arraycopy(text, 0, file, bom.length, text.length);
        try (CsvSource source = new CsvSource(new ByteArrayInputStream(file), ',', 1000)) {
            assertThat(source.header()).containsExactly("idProduct", "productName");
            assertThat(source.next()).isEqualTo(new CsvSource.Line(2, List.of("p1", "Lampe")));
            assertThat(source.next()).isNull();
        }
    }

    @Test
    void quotedFieldsKeepDelimitersLineBreaksAndQuotesAndLinesAreCounted() throws Exception {
        String file = "product_id;name;description\n"
                + "p1;\"Lamp; \"\"big\"\"\";\"first line\nsecond line\r\nthird line\"\n"
                + "\n"
                + "p2;Plain;\n"
                + ";;\n"
                + "p3;\"é, à\";last";
        List<CsvSource.Line> lines = readAll(file, ';');
        assertThat(lines).containsExactly(
                new CsvSource.Line(2, List.of("p1", "Lamp; \"big\"", "first line\nsecond line\r\nthird line")),
                new CsvSource.Line(6, List.of("p2", "Plain", "")),
                new CsvSource.Line(8, List.of("p3", "é, à", "last")));
    }

    @Test
    void aQuoteFollowedByTextStopsTheReadingAtItsRow() throws Exception {
        try (CsvSource source = source("a,b\n1,2\n\"3\"x,4\n5,6\n", ',', 1000)) {
            source.header();
            assertThat(source.next().number()).isEqualTo(2);
            assertThatThrownBy(source::next).isInstanceOfSatisfying(UnreadableFileException.class, e -> {
                assertThat(e.line()).isEqualTo(3);
                assertThat(e.getMessage()).startsWith("broken quoting");
            });
        }
    }

    @Test
    void anUnclosedQuoteIsReportedAtTheRowItStarts() throws Exception {
        try (CsvSource source = source("a,b\n1,2\n3,\"four\n5,6\n7,8\n", ',', 1000)) {
            source.header();
            source.next();
            assertThatThrownBy(source::next).isInstanceOfSatisfying(UnreadableFileException.class, e -> {
                assertThat(e.line()).isEqualTo(3);
                assertThat(e.getMessage()).contains("not closed before the end of the file");
            });
        }
    }

    @Test
    void aRowLongerThanTheLimitStopsTheReadingInsteadOfFillingTheMemory() throws Exception {
        StringBuilder file = new StringBuilder("a,b\n1,\"");
        file.append("x".repeat(200_000));
        try (CsvSource source = source(file.toString(), ',', 10_000)) {
            source.header();
            assertThatThrownBy(source::next).isInstanceOfSatisfying(UnreadableFileException.class, e -> {
                assertThat(e.line()).isEqualTo(2);
                assertThat(e.getMessage()).contains("longer than 10000 characters");
            });
        }
    }

    @Test
    void bytesThatAreNotUtf8RejectTheirRowOnly() throws Exception {
        byte[] file = {'a', ',', 'b', '\n', '1', ',', (byte) 0xE9, 't', (byte) 0xE9, '\n', '2', ',', 'x', '\n'};
        try (CsvSource source = new CsvSource(new ByteArrayInputStream(file), ',', 1000)) {
            HeaderMap columns = HeaderMap.resolve(source.header(), new ImportSettings("r", "s", ImportKind.CATEGORIES,
                    ImportKeyMode.PRIMARY_KEY, List.of(new ImportSettings.ColumnMapping("a", "category_id"),
                    new ImportSettings.ColumnMapping("b", "name")), ',', '.', null, false, 10, 1000));
            CsvSource.Line latin1 = source.next();
            CsvRow row = new CsvRow(latin1.number(), latin1.values(), columns);
            assertThat(row.checkText()).isFalse();
            assertThat(row.problems()).containsExactly(new RowRejection(2, "b", "b is not UTF-8 text (save the file as UTF-8)"));
            CsvSource.Line next = source.next();
            assertThat(new CsvRow(next.number(), next.values(), columns).checkText()).isTrue();
        }
    }

    @Test
    void rowsAndCharactersMaySpanChunks() throws Exception {
        byte[] file = "\uFEFFproduct_id,name\np1,\"Théière\nen fonte\"\np2,Bol\n".getBytes(StandardCharsets.UTF_8);
        ChunkPipe pipe = new ChunkPipe(file.length + 1, Duration.ofSeconds(5), () -> { });
        for (byte b : file) {
            assertThat(pipe.offer(ByteString.copyFrom(new byte[] {b}))).isTrue();
        }
        pipe.complete();
        List<CsvSource.Line> lines = new ArrayList<>();
        try (CsvSource source = new CsvSource(pipe, ',', 1000)) {
            assertThat(source.header()).containsExactly("product_id", "name");
            for (CsvSource.Line line = source.next(); line != null; line = source.next()) {
                lines.add(line);
            }
        }
        assertThat(lines).containsExactly(new CsvSource.Line(2, List.of("p1", "Théière\nen fonte")),
                new CsvSource.Line(4, List.of("p2", "Bol")));
        assertThat(pipe.byteCount()).isEqualTo(file.length);
    }

    @Test
    void aFailedPipeAbortsTheReadingRatherThanRejectingARow() throws Exception {
        ChunkPipe pipe = new ChunkPipe(2, Duration.ofSeconds(5), () -> { });
        pipe.offer(ByteString.copyFromUtf8("a,b\n1,2\n3,"));
        pipe.fail(new IOException("caller went away"));
        assertThatThrownBy(() -> {
            try (CsvSource source = new CsvSource(pipe, ',', 1000)) {
                source.header();
                source.next();
            }
        }).isInstanceOf(ImportAbortedException.class).hasMessageContaining("caller went away");
    }

    @Test
    void aSilentSenderTimesOut() {
        ChunkPipe pipe = new ChunkPipe(2, Duration.ofMillis(50), () -> { });
        assertThatThrownBy(() -> pipe.read(new byte[10], 0, 10)).isInstanceOf(ImportAbortedException.class)
                .hasMessageContaining("no part of the file arrived");
    }

    private static List<CsvSource.Line> readAll(String file, char delimiter) throws Exception {
        List<CsvSource.Line> lines = new ArrayList<>();
        try (CsvSource source = source(file, delimiter, 1000)) {
            source.header();
            for (CsvSource.Line line = source.next(); line != null; line = source.next()) {
                lines.add(line);
            }
        }
        return lines;
    }

    private static CsvSource source(String file, char delimiter, int maxRow) throws IOException {
        InputStream in = new ByteArrayInputStream(file.getBytes(StandardCharsets.UTF_8));
        return new CsvSource(in, delimiter, maxRow);
    }
}
