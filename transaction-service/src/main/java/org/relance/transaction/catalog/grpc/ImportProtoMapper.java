package org.relance.transaction.catalog.grpc;

import java.util.List;
import org.relance.api.transaction.v1.ImportRecordsResponse;
import org.relance.api.transaction.v1.ImportRejection;
import org.relance.kit.error.Violations;
import org.relance.transaction.imports.ImportKeyMode;
import org.relance.transaction.imports.ImportKind;
import org.relance.transaction.imports.ImportProgress;
import org.relance.transaction.imports.ImportSettings;
import org.relance.transaction.imports.ImportSummary;
import org.relance.transaction.imports.RowRejection;

/** Import messages to and from the imports domain. */
final class ImportProtoMapper {
    static final int REJECTIONS_DEFAULT = 100;
    static final int PROGRESS_DEFAULT = 10_000;

    private ImportProtoMapper() {
    }

    /** The settings of the first message, with the defaults of the contract; checked by the importer. */
    static ImportSettings toSettings(org.relance.api.transaction.v1.ImportSettings s, Violations v) {
        char delimiter = ',';
        if (!s.getDelimiter().isEmpty()) {
            if (s.getDelimiter().length() != 1) {
                v.add("settings.delimiter", "must be one character");
            } else {
                delimiter = s.getDelimiter().charAt(0);
            }
        }
        return new ImportSettings(s.getRequestId(), s.getStoreId(), kind(s.getKind()), keyMode(s.getKeyMode(), v),
                s.getColumnMappingsList().stream()
                        .map(m -> new ImportSettings.ColumnMapping(m.getColumn(), m.getField())).toList(),
                delimiter, decimalSeparator(s.getDecimalSeparator()), CatalogProtoMapper.emptyToNull(s.getDefaultCurrencyCode()),
                s.getAllOrNothing(), s.getMaxReportedRejections() == 0 ? REJECTIONS_DEFAULT : s.getMaxReportedRejections(),
                s.getProgressInterval() == 0 ? PROGRESS_DEFAULT : s.getProgressInterval());
    }

    private static ImportKind kind(org.relance.api.transaction.v1.ImportKind kind) {
        return switch (kind) {
            case IMPORT_KIND_TRANSACTIONS -> ImportKind.TRANSACTIONS;
            case IMPORT_KIND_ITEMS -> ImportKind.ITEMS;
            case IMPORT_KIND_PRODUCTS -> ImportKind.PRODUCTS;
            case IMPORT_KIND_CATEGORIES -> ImportKind.CATEGORIES;
            default -> null;
        };
    }

    private static ImportKeyMode keyMode(org.relance.api.transaction.v1.ImportKeyMode mode, Violations v) {
        return switch (mode) {
            case IMPORT_KEY_MODE_UNSPECIFIED, IMPORT_KEY_MODE_PRIMARY_KEY -> ImportKeyMode.PRIMARY_KEY;
            case IMPORT_KEY_MODE_CONTACT -> ImportKeyMode.CONTACT;
            default -> {
                v.add("settings.key_mode", "must be IMPORT_KEY_MODE_PRIMARY_KEY or IMPORT_KEY_MODE_CONTACT");
                yield ImportKeyMode.PRIMARY_KEY;
            }
        };
    }

    private static char decimalSeparator(org.relance.api.transaction.v1.ImportDecimalSeparator separator) {
        return switch (separator) {
            case IMPORT_DECIMAL_SEPARATOR_UNSPECIFIED, IMPORT_DECIMAL_SEPARATOR_POINT -> '.';
            case IMPORT_DECIMAL_SEPARATOR_COMMA -> ',';
            default -> '?';
        };
    }

    static ImportRecordsResponse toProto(ImportProgress p) {
        return ImportRecordsResponse.newBuilder().setProgress(org.relance.api.transaction.v1.ImportProgress.newBuilder()
                .setRowCount(p.rowCount())
                .setByteCount(p.byteCount())
                .setInsertedCount(p.inserted())
                .setUpdatedCount(p.updated())
                .setUnchangedCount(p.unchanged())
                .setRejectedCount(p.rejected())).build();
    }

    static ImportRecordsResponse toProto(ImportSummary s) {
        return ImportRecordsResponse.newBuilder().setSummary(org.relance.api.transaction.v1.ImportSummary.newBuilder()
                .setRowCount(s.rowCount())
                .setInsertedCount(s.inserted())
                .setUpdatedCount(s.updated())
                .setUnchangedCount(s.unchanged())
                .setRejectedCount(s.rejected())
                .addAllRejections(toProto(s.rejections()))
                .setApplied(s.applied())
                .setStoppedEarly(s.stoppedEarly())).build();
    }

    private static List<ImportRejection> toProto(List<RowRejection> rejections) {
        return rejections.stream().map(r -> ImportRejection.newBuilder()
                .setLine(r.line()).setColumn(r.column()).setReason(r.reason()).build()).toList();
    }
}
