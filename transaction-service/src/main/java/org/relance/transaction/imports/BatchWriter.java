package org.relance.transaction.imports;

import io.r2dbc.spi.Connection;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Writes a batch of checked rows through a connection inside the importer's transaction (never
 * committing it); keys are distinct within a batch.
 *
 * @param <T> the record
 */
interface BatchWriter<T> {

    /** A checked record and the line of the file it comes from. */
    record Row<T>(long line, T value) {
    }

    Mono<BatchResult> write(List<Row<T>> rows, Connection c);
}
