package org.relance.kit.db;

import io.quarkus.runtime.ShutdownEvent;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS to an external PostgreSQL: a server that offers TLS (a self-signed certificate made with
 * openssl), and the services' connections using it exactly when the URL's sslmode asks for it,
 * Flyway's included.
 */
class DatabaseTlsTest {

    @Test
    void theUrlsSslmodeDecidesWhetherConnectionsAreEncrypted(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("server.key");
        Path cert = dir.resolve("server.crt");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                "-out", cert.toString(), "-subj", "/CN=localhost", "-days", "1").redirectErrorStream(true).start();
        assertThat(openssl.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(openssl.exitValue()).as(new String(openssl.getInputStream().readAllBytes())).isZero();
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));

        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg")).setCleanDataDirectory(true)
                .setServerConfig("ssl", "on").setServerConfig("ssl_cert_file", cert.toString())
                .setServerConfig("ssl_key_file", key.toString()).start()) {
            String base = "postgresql://localhost:" + pg.getPort() + "/postgres";
            assertThat(encrypted(base + "?sslmode=require")).isTrue();
            assertThat(encrypted(base + "?sslmode=verify-full&sslrootcert=" + cert)).isTrue();
            assertThat(encrypted(base)).isFalse();
            assertThatThrownBy(() -> new Database(config(base + "?ssl=true"), "tls-test"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ssl");
        }
    }

    private static boolean encrypted(String url) {
        Database database = new Database(config(url), "tls-test");
        try {
            return database.withConnection(c -> Flux.from(c.createStatement("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                            .execute()).flatMap(r -> r.map((row, meta) -> row.get(0, Boolean.class))))
                    .blockFirst(Duration.ofSeconds(30));
        } finally {
            database.onStop(new ShutdownEvent());
        }
    }

    private static DatabaseConfig config(String url) {
        return new DatabaseConfig() {
            @Override
            public Optional<String> url() {
                return Optional.of(url);
            }

            @Override
            public String username() {
                return "postgres";
            }

            @Override
            public Optional<String> password() {
                return Optional.empty();
            }

            @Override
            public int statementCacheSize() {
                return 16;
            }

            @Override
            public boolean jit() {
                return false;
            }

            @Override
            public Embedded embedded() {
                throw new UnsupportedOperationException("external database");
            }

            @Override
            public Pool pool() {
                return new Pool() {
                    @Override
                    public int initialSize() {
                        return 1;
                    }

                    @Override
                    public int maxSize() {
                        return 2;
                    }

                    @Override
                    public Duration acquireTimeout() {
                        return Duration.ofSeconds(10);
                    }

                    @Override
                    public Duration maxIdleTime() {
                        return Duration.ofMinutes(1);
                    }
                };
            }
        };
    }
}
