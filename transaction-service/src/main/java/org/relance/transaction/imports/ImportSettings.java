package org.relance.transaction.imports;

import java.util.List;
import java.util.Objects;
import org.relance.kit.error.Violations;
import org.relance.transaction.catalog.domain.CatalogRules;

/**
 * What the caller asked of an import.
 *
 * @param columnMappings       explicit header column → field mappings (the rest is matched by name)
 * @param defaultCurrencyCode  currency of amounts of rows that give none; {@code null} for the store's
 * @param maxReportedRejections how many rejections to report in detail
 * @param progressInterval     a progress report every this many rows
 */
public record ImportSettings(String requestId, String storeId, ImportKind kind, ImportKeyMode keyMode,
                             List<ColumnMapping> columnMappings, char delimiter, char decimalSeparator,
                             String defaultCurrencyCode, boolean allOrNothing, int maxReportedRejections,
                             int progressInterval) {
    public static final int MAPPINGS_MAX = 50;
    public static final int REJECTIONS_MAX = 1000;
    public static final int PROGRESS_MIN = 100;
    public static final int PROGRESS_MAX = 10_000_000;

    /** The file column {@code column} (its header name, exactly) fills {@code field}. */
    public record ColumnMapping(String column, String field) {
    }

    public ImportSettings {
        columnMappings = List.copyOf(columnMappings);
    }

    /** Adds every problem of these settings to {@code v}, fields named {@code settings.*}. */
    public void check(Violations v) {
        v.requireText("settings.request_id", requestId, CatalogRules.REQUEST_ID_MAX);
        v.requireText("settings.store_id", storeId, CatalogRules.STORE_ID_MAX);
        if (kind == null) {
            v.add("settings.kind", "is required: IMPORT_KIND_TRANSACTIONS, IMPORT_KIND_ITEMS, IMPORT_KIND_PRODUCTS or IMPORT_KIND_CATEGORIES");
        }
        if (keyMode == ImportKeyMode.CONTACT && (kind == ImportKind.PRODUCTS || kind == ImportKind.CATEGORIES)) {
            v.add("settings.key_mode", "IMPORT_KEY_MODE_CONTACT is for transactions and items only");
        }
        if (columnMappings.size() > MAPPINGS_MAX) {
            v.add("settings.column_mappings", "at most " + MAPPINGS_MAX + " mappings");
        }
        for (int i = 0; i < columnMappings.size(); i++) {
            ColumnMapping m = columnMappings.get(i);
            String p = "settings.column_mappings[" + i + "].";
            v.requireText(p + "column", m.column(), CatalogRules.TEXT_MAX);
            if (kind != null && ImportFields.of(kind).stream().noneMatch(f -> f.name().equals(m.field()))) {
                v.add(p + "field", "must be a field of " + kind + ": " + String.join(", ", ImportFields.names(kind)));
            }
            for (int j = 0; j < i; j++) {
                if (Objects.equals(columnMappings.get(j).column(), m.column())) {
                    v.add(p + "column", "is mapped already by column_mappings[" + j + "]");
                } else if (Objects.equals(columnMappings.get(j).field(), m.field())) {
                    v.add(p + "field", "is filled already by column_mappings[" + j + "]");
                }
            }
        }
        if (delimiter == '"' || delimiter == '\r' || delimiter == '\n' || delimiter == 0) {
            v.add("settings.delimiter", "must be one character other than '\"', CR and LF");
        }
        if (decimalSeparator != '.' && decimalSeparator != ',') {
            v.add("settings.decimal_separator", "must be IMPORT_DECIMAL_SEPARATOR_POINT or IMPORT_DECIMAL_SEPARATOR_COMMA");
        }
        if (defaultCurrencyCode != null) {
            CatalogRules.checkCurrency("settings.default_currency_code", defaultCurrencyCode, v);
        }
        if (maxReportedRejections < 1 || maxReportedRejections > REJECTIONS_MAX) {
            v.add("settings.max_reported_rejections", "must be between 1 and " + REJECTIONS_MAX + " (0 for the default 100)");
        }
        if (progressInterval < PROGRESS_MIN || progressInterval > PROGRESS_MAX) {
            v.add("settings.progress_interval", "must be between " + PROGRESS_MIN + " and " + PROGRESS_MAX
                    + " (0 for the default 10000)");
        }
    }
}
