package org.relance.transaction.imports;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.relance.kit.error.Violations;

/**
 * Which column of the file fills which field: the explicit mappings of the settings first, then
 * the header names matched to field names and aliases. Columns that match nothing are ignored.
 */
public final class HeaderMap {
    private final List<String> header;
    private final Map<String, Integer> columnOfField;

    private HeaderMap(List<String> header, Map<String, Integer> columnOfField) {
        this.header = List.copyOf(header);
        this.columnOfField = Map.copyOf(columnOfField);
    }

    /**
     * Maps {@code header} for an import; a mapping naming no column, two columns filling one field
     * or a required field without a column is refused (INVALID_ARGUMENT, nothing read further).
     */
    public static HeaderMap resolve(List<String> header, ImportSettings settings) {
        List<ImportField> fields = ImportFields.of(settings.kind());
        Violations v = new Violations();
        Map<String, Integer> columnOfField = new LinkedHashMap<>();
        Map<Integer, String> explicit = new HashMap<>();
        for (int i = 0; i < settings.columnMappings().size(); i++) {
            ImportSettings.ColumnMapping m = settings.columnMappings().get(i);
            int column = header.indexOf(m.column());
            if (column < 0) {
                v.add("settings.column_mappings[" + i + "].column", "no column of the header row is named " + m.column());
            } else {
                columnOfField.put(m.field(), column);
                explicit.put(column, m.field());
            }
        }
        Map<String, ImportField> byName = new HashMap<>();
        for (ImportField f : fields) {
            byName.put(ImportFields.normalize(f.name()), f);
            f.aliases().forEach(a -> byName.put(ImportFields.normalize(a), f));
        }
        Map<String, Integer> matchedByName = new HashMap<>();
        for (int column = 0; column < header.size(); column++) {
            ImportField f = byName.get(ImportFields.normalize(header.get(column)));
            if (explicit.containsKey(column) || f == null || explicit.containsValue(f.name())) {
                continue;
            }
            Integer other = matchedByName.putIfAbsent(f.name(), column);
            if (other != null) {
                v.add("header", "columns " + header.get(other) + " and " + header.get(column) + " both fill "
                        + f.name() + "; map one of them with column_mappings");
            } else {
                columnOfField.put(f.name(), column);
            }
        }
        for (ImportField f : fields) {
            if (f.requiredIn(settings.keyMode()) && !columnOfField.containsKey(f.name())) {
                v.add("header", "a column for " + f.display() + " is required");
            }
        }
        v.throwIfAny();
        return new HeaderMap(header, columnOfField);
    }

    /** Columns of the header row. */
    public int size() {
        return header.size();
    }

    /** The header name of a column. */
    public String header(int column) {
        return header.get(column);
    }

    /** The column that fills {@code field}, or -1. */
    public int column(String field) {
        Integer column = columnOfField.get(field);
        return column == null ? -1 : column;
    }

    /** The header name of the column that fills {@code field}, or the field's name when none does. */
    public String columnName(String field) {
        int column = column(field);
        return column < 0 ? field : header.get(column);
    }
}
