package org.relance.transaction.imports;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.relance.kit.error.InvalidArgumentException;
import org.relance.transaction.catalog.domain.Product;
import org.relance.transaction.catalog.domain.ProductCategory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Header mapping (field names, the tracker's aliases, explicit mappings) and the checks of each kind of row. */
class RowReadersTest {
    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    @Test
    void theTrackersNamesAreAliasesWhateverTheirCase() {
        HeaderMap columns = HeaderMap.resolve(List.of("IDPRODUCT", "productName", "Price_unit", "image url", "extra"),
                settings(ImportKind.PRODUCTS, ImportKeyMode.PRIMARY_KEY));
        assertThat(columns.column("product_id")).isZero();
        assertThat(columns.column("name")).isEqualTo(1);
        assertThat(columns.column("unit_price")).isEqualTo(2);
        assertThat(columns.column("image_url")).isEqualTo(3);
        assertThat(columns.column("description")).isEqualTo(-1);
        assertThat(columns.columnName("unit_price")).isEqualTo("Price_unit");
    }

    @Test
    void explicitMappingsWinOverNames() {
        ImportSettings s = settings(ImportKind.PRODUCTS, ImportKeyMode.PRIMARY_KEY,
                List.of(new ImportSettings.ColumnMapping("Référence", "product_id"),
                        new ImportSettings.ColumnMapping("Libellé", "name")));
        HeaderMap columns = HeaderMap.resolve(List.of("name", "Référence", "Libellé"), s);
        assertThat(columns.column("product_id")).isEqualTo(1);
        assertThat(columns.column("name")).isEqualTo(2);
    }

    @Test
    void missingRequiredColumnsAndAmbiguousOnesAreRefusedTogether() {
        assertThatThrownBy(() -> HeaderMap.resolve(List.of("product_name", "productName", "Price_unit"),
                settings(ImportKind.ITEMS, ImportKeyMode.CONTACT)))
                .isInstanceOfSatisfying(InvalidArgumentException.class, e -> assertThat(e.violations())
                        .extracting(v -> v.description())
                        .containsExactlyInAnyOrder(
                                "columns product_name and productName both fill product_name; map one of them with column_mappings",
                                "a column for transaction_id (idTransaction) is required",
                                "a column for contact_id (IdContact) is required",
                                "a column for product_id (idProduct) is required",
                                "a column for total_price (Price_total) is required",
                                "a column for quantity (qty) is required"));
    }

    @Test
    void productsTakeDecimalCommaAndTheDefaultCurrency() {
        ImportSettings s = settings(ImportKind.PRODUCTS, ImportKeyMode.PRIMARY_KEY);
        HeaderMap columns = HeaderMap.resolve(List.of("idProduct", "name", "price", "currency", "url"), s);
        ProductRowReader reader = new ProductRowReader(new RowReader.Context("shop", "EUR", PARIS, ',', ImportKeyMode.PRIMARY_KEY));

        Product p = reader.read(new CsvRow(2, List.of("p1", "Lampe", " 1234,5 ", "", "https://shop.example/p1"), columns));
        assertThat(p.unitPrice()).isEqualByComparingTo("1234.5");
        assertThat(p.currencyCode()).isEqualTo("EUR");
        assertThat(p.url()).isEqualTo("https://shop.example/p1");

        Product free = reader.read(new CsvRow(3, List.of("p2", "Bol", "", "USD", ""), columns));
        assertThat(free.unitPrice()).isNull();
        assertThat(free.currencyCode()).isNull();
        assertThat(free.url()).isNull();
    }

    @Test
    void badProductValuesAreReportedByColumn() {
        ImportSettings s = settings(ImportKind.PRODUCTS, ImportKeyMode.PRIMARY_KEY);
        HeaderMap columns = HeaderMap.resolve(List.of("idProduct", "productName", "Price_unit", "currency", "url"), s);
        ProductRowReader reader = new ProductRowReader(new RowReader.Context("shop", "EUR", PARIS, '.', ImportKeyMode.PRIMARY_KEY));

        CsvRow wrongSeparator = new CsvRow(5, List.of("p1", "x".repeat(501), "12,50", "EUR", "ftp://files"), columns);
        assertThat(reader.read(wrongSeparator)).isNull();
        assertThat(wrongSeparator.problems()).containsExactlyInAnyOrder(
                new RowRejection(5, "Price_unit", "Price_unit must be a number such as 12.50 (got 12,50)"),
                new RowRejection(5, "productName", "productName must be at most 500 characters (got 501)"),
                new RowRejection(5, "url", "url must be an absolute http or https URL such as https://shop.example/p/42"));

        CsvRow negative = new CsvRow(6, List.of("", "Lamp", "-1", "euro", ""), columns);
        assertThat(reader.read(negative)).isNull();
        assertThat(negative.problems()).extracting(RowRejection::reason).containsExactlyInAnyOrder(
                "idProduct is required", "Price_unit must not be negative",
                "currency must be an ISO 4217 currency code such as EUR");
    }

    @Test
    void amountsAcceptEitherSeparatorOnlyWhenAsked() {
        HeaderMap columns = HeaderMap.resolve(List.of("product_id", "name", "unit_price"),
                settings(ImportKind.PRODUCTS, ImportKeyMode.PRIMARY_KEY));
        assertThat(new CsvRow(2, List.of("p", "n", "12.50"), columns).decimal("unit_price", '.', false)).isEqualByComparingTo("12.5");
        assertThat(new CsvRow(2, List.of("p", "n", ".5"), columns).decimal("unit_price", '.', false)).isEqualByComparingTo("0.5");
        assertThat(new CsvRow(2, List.of("p", "n", "+7"), columns).decimal("unit_price", '.', false)).isEqualByComparingTo("7");
        assertThat(new CsvRow(2, List.of("p", "n", "0,99"), columns).decimal("unit_price", ',', false)).isEqualByComparingTo("0.99");
        for (String bad : List.of("1.234,50", "1 234", "1e3", "12.5.1", "NaN", "12,50")) {
            CsvRow row = new CsvRow(2, List.of("p", "n", bad), columns);
            assertThat(row.decimal("unit_price", '.', false)).as(bad).isNull();
            assertThat(row.rejected()).as(bad).isTrue();
        }
    }

    @Test
    void categoriesCannotBeTheirOwnParent() {
        HeaderMap columns = HeaderMap.resolve(List.of("idCategory", "category", "idParentCategory"),
                settings(ImportKind.CATEGORIES, ImportKeyMode.PRIMARY_KEY));
        CategoryRowReader reader = new CategoryRowReader(new RowReader.Context("shop", "EUR", PARIS, '.', ImportKeyMode.PRIMARY_KEY));
        assertThat(reader.read(new CsvRow(2, List.of("lamps", "Lamps", "home"), columns)))
                .isEqualTo(new ProductCategory("shop", "lamps", "Lamps", "home", null, null));
        CsvRow self = new CsvRow(3, List.of("home", "Home", "home"), columns);
        assertThat(reader.read(self)).isNull();
        assertThat(self.problems()).containsExactly(new RowRejection(3, "idParentCategory",
                "idParentCategory must not be the category itself"));
    }

    @Test
    void transactionTimesAreRfc3339OrLocalToTheStore() {
        HeaderMap columns = HeaderMap.resolve(List.of("idTransaction", "revenue", "tax", "shipping", "occur_time", "IdContact"),
                settings(ImportKind.TRANSACTIONS, ImportKeyMode.PRIMARY_KEY));
        TransactionRowReader reader = new TransactionRowReader(new RowReader.Context("shop", "CAD", PARIS, '.', ImportKeyMode.PRIMARY_KEY));
        assertThat(reader.read(row(columns, "t1", "2024-05-01T10:15:00Z")).occurTime()).isEqualTo(Instant.parse("2024-05-01T10:15:00Z"));
        assertThat(reader.read(row(columns, "t2", "2024-05-01 12:15:00+02:00")).occurTime())
                .isEqualTo(Instant.parse("2024-05-01T10:15:00Z"));
        assertThat(reader.read(row(columns, "t3", "2024-05-01 12:15:00.1234567")).occurTime())
                .isEqualTo(Instant.parse("2024-05-01T10:15:00.123456Z"));
        assertThat(reader.read(row(columns, "t4", "2024-01-15")).occurTime()).isEqualTo(Instant.parse("2024-01-14T23:00:00Z"));
        ImportedTransaction t = reader.read(row(columns, "t5", "2024-05-01T10:15:00Z"));
        assertThat(t.currencyCode()).isEqualTo("CAD");
        assertThat(t.revenue()).isEqualByComparingTo("120.5");
        assertThat(t.contactId()).isNull();
        assertThat(t.line()).isEqualTo(9);

        CsvRow bad = row(columns, "t6", "yesterday");
        assertThat(reader.read(bad)).isNull();
        assertThat(bad.problems()).extracting(RowRejection::column).containsExactly("occur_time");
    }

    @Test
    void contactKeyModeRequiresAContactOnEveryRow() {
        HeaderMap columns = HeaderMap.resolve(List.of("idTransaction", "revenue", "tax", "shipping", "occur_time", "IdContact"),
                settings(ImportKind.TRANSACTIONS, ImportKeyMode.CONTACT));
        TransactionRowReader reader = new TransactionRowReader(new RowReader.Context("shop", "EUR", PARIS, '.', ImportKeyMode.CONTACT));
        CsvRow row = new CsvRow(4, List.of("t1", "10", "1", "0", "2024-05-01T10:15:00Z", ""), columns);
        assertThat(reader.read(row)).isNull();
        assertThat(row.problems()).containsExactly(new RowRejection(4, "IdContact", "IdContact is required"));
        assertThat(reader.read(new CsvRow(5, List.of("t1", "10", "1", "0", "2024-05-01T10:15:00Z", "c-42"), columns)).contactId())
                .isEqualTo("c-42");
    }

    @Test
    void itemsFollowAddItemOfTheTracker() {
        HeaderMap columns = HeaderMap.resolve(List.of("idTransaction", "idProduct", "productName", "category", "idCategory",
                "Price_unit", "Price_total", "quantity"), settings(ImportKind.ITEMS, ImportKeyMode.PRIMARY_KEY));
        ItemRowReader reader = new ItemRowReader(new RowReader.Context("shop", "EUR", PARIS, ',', ImportKeyMode.PRIMARY_KEY));
        ImportedItem item = reader.read(new CsvRow(2, List.of("t1", "HDMI-2", "Câble HDMI", "Câbles", "c-7", "9,99", "19,98", "2"),
                columns));
        assertThat(item).isEqualTo(new ImportedItem(2, "t1", null, "HDMI-2", "Câble HDMI", "Câbles", "c-7",
                new BigDecimal("9.99"), new BigDecimal("19.98"), 2));
        assertThat(reader.key(item)).isEqualTo(List.of("t1", "HDMI-2"));

        CsvRow bad = new CsvRow(3, List.of("t1", "HDMI-2", "", "", "", "9,99", "", "1.5"), columns);
        assertThat(reader.read(bad)).isNull();
        assertThat(bad.problems()).extracting(RowRejection::reason).containsExactlyInAnyOrder(
                "productName is required", "Price_total is required", "quantity must be a whole number (got 1.5)");
        CsvRow zero = new CsvRow(4, List.of("t1", "HDMI-2", "Câble", "", "", "1", "0", "0"), columns);
        assertThat(reader.read(zero)).isNull();
        assertThat(zero.problems()).extracting(RowRejection::reason).containsExactly("quantity must be between 1 and 1000000 (got 0)");
    }

    @Test
    void settingsAreCheckedFieldByField() {
        ImportSettings s = new ImportSettings("", "shop", ImportKind.PRODUCTS, ImportKeyMode.CONTACT,
                List.of(new ImportSettings.ColumnMapping("Ref", "sku")), '"', '?', "euro", false, 5000, 10);
        org.relance.kit.error.Violations v = new org.relance.kit.error.Violations();
        s.check(v);
        assertThat(v.exception().violations()).extracting(f -> f.field()).containsExactlyInAnyOrder(
                "settings.request_id", "settings.key_mode", "settings.column_mappings[0].field", "settings.delimiter",
                "settings.decimal_separator", "settings.default_currency_code", "settings.max_reported_rejections",
                "settings.progress_interval");
    }

    @Test
    void rejectionsKeepTheFirstLinesWhateverTheOrderTheyComeIn() {
        Rejections r = new Rejections(3);
        for (long line : new long[] {9, 4, 7, 2, 8, 3}) {
            r.add(new RowRejection(line, "", "bad " + line));
        }
        assertThat(r.inFileOrder()).extracting(RowRejection::line).containsExactly(2L, 3L, 4L);
    }

    private static CsvRow row(HeaderMap columns, String id, String time) {
        return new CsvRow(9, List.of(id, "120.50", "20.08", "0", time, ""), columns);
    }

    private static ImportSettings settings(ImportKind kind, ImportKeyMode mode) {
        return settings(kind, mode, List.of());
    }

    private static ImportSettings settings(ImportKind kind, ImportKeyMode mode, List<ImportSettings.ColumnMapping> mappings) {
        return new ImportSettings("r1", "shop", kind, mode, mappings, ',', '.', null, false, 100, 10_000);
    }
}
