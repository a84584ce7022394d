package org.relance.transaction.imports;

import java.util.List;

/**
 * A field an import fills, with the other names a header may give it (the tracker's, seed 000).
 *
 * @param required          a column for it is required, and a value in every row
 * @param requiredByContact required in {@link ImportKeyMode#CONTACT} mode
 */
public record ImportField(String name, List<String> aliases, boolean required, boolean requiredByContact) {

    static ImportField required(String name, String... aliases) {
        return new ImportField(name, List.of(aliases), true, true);
    }

    static ImportField optional(String name, String... aliases) {
        return new ImportField(name, List.of(aliases), false, false);
    }

    static ImportField contact() {
        return new ImportField("contact_id", List.of("IdContact"), false, true);
    }

    /** Whether rows must give a value in {@code mode}. */
    public boolean requiredIn(ImportKeyMode mode) {
        return required || (mode == ImportKeyMode.CONTACT && requiredByContact);
    }

    /** The names to show a user: {@code product_id (idProduct)}. */
    public String display() {
        return aliases.isEmpty() ? name : name + " (" + String.join(", ", aliases) + ")";
    }
}
