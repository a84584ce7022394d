package org.relance.deploy;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;

/**
 * Routes library logging (zonky's PostgreSQL output, the kit's messages) to
 * {@code .relance/logs/postgres.log}; only warnings reach the console, which belongs to the
 * launcher's own short messages.
 */
final class SuiteLogging {
    /** JUL holds loggers weakly: keep the configured ones alive. */
    private static final List<Logger> CONFIGURED = List.of(
            Logger.getLogger("io.zonky"), Logger.getLogger("org.relance.kit"));

    private SuiteLogging() {
    }

    static void configure(Path postgresLog) throws IOException {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n");
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(Level.INFO);
        ConsoleHandler console = new ConsoleHandler();
        console.setLevel(Level.WARNING);
        console.setFormatter(new SimpleFormatter());
        root.addHandler(console);

        Handler file = new FlushingStreamHandler(new FileOutputStream(postgresLog.toFile(), true));
        file.setLevel(Level.ALL);
        for (Logger logger : CONFIGURED) {
            logger.setLevel(Level.INFO);
            logger.addHandler(file);
        }
    }

    /** A file handler without FileHandler's lock files and rotation. */
    private static final class FlushingStreamHandler extends StreamHandler {
        FlushingStreamHandler(FileOutputStream stream) {
            super(stream, new SimpleFormatter());
        }

        @Override
        public synchronized void publish(LogRecord record) {
            super.publish(record);
            flush();
        }
    }
}
