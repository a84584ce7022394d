package org.relance.transaction.imports;

/** How imported rows find the rows they replace (seed 001: "by the primary key or by the idContact"). */
public enum ImportKeyMode {
    /** By primary key within the store; a contact column is optional. */
    PRIMARY_KEY,
    /**
     * Transactions and items only: every row names its contact and is matched by primary key among
     * that contact's rows; a key that belongs to another contact rejects the row.
     */
    CONTACT
}
