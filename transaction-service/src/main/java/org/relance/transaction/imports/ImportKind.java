package org.relance.transaction.imports;

/** The table an import fills (seed 001's four e-commerce tables). */
public enum ImportKind {
    TRANSACTIONS,
    ITEMS,
    PRODUCTS,
    CATEGORIES
}
