package org.relance.kit.error;

import static java.util.Objects.requireNonNull;

/**
 * One invalid field of a request: its path ({@code operations[2].quantity}) and why.
 */
public record FieldViolation(String field, String description) {
    public FieldViolation {
        requireNonNull(field, "field");
        requireNonNull(description, "description");
    }
}
