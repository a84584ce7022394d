package org.relance.kit.db;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.Location;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.api.resource.LoadableResource;
import org.flywaydb.core.internal.resource.classpath.ClassPathResource;
import org.jboss.logging.Logger;

/**
 * Runs the service's Flyway migrations over JDBC at start-up. Flyway's own lock makes several
 * replicas starting at once safe. The scripts are listed in {@code db/migration/index.txt},
 * because class-path folders cannot be listed inside Quarkus's packaged application.
 */
public final class Migrations {
    private static final Logger LOG = Logger.getLogger(Migrations.class);
    static final String FOLDER = "db/migration";

    private Migrations() {
    }

    /** Applies the pending migrations. */
    public static void migrate(String jdbcUrl, String username, String password) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        List<LoadableResource> scripts = scripts(loader);
        Flyway flyway = Flyway.configure(loader)
                .dataSource(jdbcUrl, username, password)
                .resourceProvider(new ListedResources(scripts))
                .connectRetries(10)
                .load();
        MigrateResult result = flyway.migrate();
        LOG.infof("schema at version %s (%d migrations applied now)", result.targetSchemaVersion, result.migrationsExecuted);
    }

    static List<LoadableResource> scripts(ClassLoader loader) {
        List<LoadableResource> scripts = new ArrayList<>();
        try (InputStream index = loader.getResourceAsStream(FOLDER + "/index.txt")) {
            if (index == null) {
                throw new IllegalStateException(FOLDER + "/index.txt is missing from the class path");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(index, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String name = line.strip();
                if (name.isEmpty() || name.startsWith("#")) {
                    continue;
                }
                if (loader.getResource(FOLDER + "/" + name) == null) {
                    throw new IllegalStateException(FOLDER + "/index.txt names " + name + ", which is missing");
                }
                scripts.add(new ClassPathResource(new Location("classpath:" + FOLDER), FOLDER + "/" + name, loader, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return scripts;
    }

    private record ListedResources(List<LoadableResource> scripts) implements ResourceProvider {
        @Override
        public LoadableResource getResource(String name) {
            return scripts.stream().filter(s -> s.getRelativePath().equals(name) || s.getFilename().equals(name)).findFirst().orElse(null);
        }

        @Override
        public Collection<LoadableResource> getResources(String prefix, String[] suffixes) {
            List<LoadableResource> found = new ArrayList<>();
            for (LoadableResource script : scripts) {
                String file = script.getFilename();
                if (!file.startsWith(prefix)) {
                    continue;
                }
                for (String suffix : suffixes) {
                    if (file.endsWith(suffix)) {
                        found.add(script);
                        break;
                    }
                }
            }
            return found;
        }
    }
}
