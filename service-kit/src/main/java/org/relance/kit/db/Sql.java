package org.relance.kit.db;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Small helpers over R2DBC statements: positional binding with typed nulls, rows, update counts. */
public final class Sql {
    private Sql() {
    }

    /** A typed SQL NULL for {@link #bind}. */
    public record Null(Class<?> type) {
    }

    /** Binds {@code args} to $1, $2, ...; a Java null binds as a text NULL, {@link Null} as a typed one. */
    public static Statement bind(Statement statement, Object... args) {
        for (int i = 0; i < args.length; i++) {
            Object arg = args[i];
            if (arg == null) {
                statement.bindNull(i, String.class);
            } else if (arg instanceof Null n) {
                statement.bindNull(i, n.type());
            } else if (arg instanceof Instant instant) {
                statement.bind(i, instant.atOffset(java.time.ZoneOffset.UTC));
            } else {
                statement.bind(i, arg);
            }
        }
        return statement;
    }

    /** Runs a query and maps each row. */
    public static <T> Flux<T> query(Connection c, String sql, Function<Readable, T> mapper, Object... args) {
        return Flux.from(bind(c.createStatement(sql), args).execute())
                .flatMap(result -> result.map(mapper::apply));
    }

    /** Runs a statement and sums its update counts. */
    public static Mono<Long> update(Connection c, String sql, Object... args) {
        return Flux.from(bind(c.createStatement(sql), args).execute())
                .flatMap(result -> result.getRowsUpdated())
                .reduce(0L, Long::sum);
    }

    /** A timestamptz column as an Instant (null stays null). */
    public static Instant instant(Readable row, String column) {
        OffsetDateTime value = row.get(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    /** A 64-bit key for {@code pg_advisory_xact_lock}, from a text (FNV-1a). */
    public static long lockKey(String text) {
        long hash = 0xcbf29ce484222325L;
        for (int i = 0; i < text.length(); i++) {
            hash ^= text.charAt(i);
            hash *= 0x100000001b3L;
        }
        return hash;
    }
}
