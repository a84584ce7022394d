package org.relance.transaction.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Settings of the transaction service ({@code relance.transaction.*}, environment {@code RELANCE_TRANSACTION_*}). */
@ConfigMapping(prefix = "relance.transaction")
public interface TransactionConfig {
    /** Cart conversions. */
    Conversion conversion();

    interface Conversion {
        /** How often due conversions are looked for (each recording also triggers a delivery at once). */
        @WithDefault("2s")
        String interval();

        /** Conversions leased per round. */
        @WithDefault("100")
        int batch();

        /** How long a leased conversion is reserved for the replica delivering it. */
        @WithDefault("PT30S")
        Duration lease();

        /** The longest wait between two attempts. */
        @WithDefault("PT60S")
        Duration maxBackoff();
    }
}
