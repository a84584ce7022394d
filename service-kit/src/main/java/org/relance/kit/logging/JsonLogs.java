package org.relance.kit.logging;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * With {@code relance.log.json=true} (RELANCE_LOG_JSON) every console line is a JSON object,
 * for log collectors. The JSON logging extension is not served at this Quarkus version, so the
 * console handlers get {@link JsonLogFormatter} as the application starts.
 */
@Singleton
public class JsonLogs {
    void install(@Observes @Priority(1) StartupEvent event, @ConfigProperty(name = "relance.log.json", defaultValue = "false") boolean json) {
        if (!json) {
            return;
        }
        JsonLogFormatter formatter = new JsonLogFormatter();
        install(LogManager.getLogManager().getLogger(""), formatter);
    }

    private static void install(java.util.logging.Logger logger, JsonLogFormatter formatter) {
        for (Handler handler : logger.getHandlers()) {
            handler.setFormatter(formatter);
            if (handler instanceof org.jboss.logmanager.ExtHandler ext) {
                for (Handler child : ext.getHandlers()) {
                    child.setFormatter(formatter);
                }
            }
        }
    }
}
