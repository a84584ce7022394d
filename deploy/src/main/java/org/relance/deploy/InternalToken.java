package org.relance.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The token the services demand from each other's gRPC callers. Locally it is created once and
 * kept in {@code .relance/internal-token}, so it survives restarts; {@code RELANCE_GRPC_TOKEN}
 * overrides it.
 *
 * @param value  the token
 * @param source where it came from, for the summary
 */
record InternalToken(String value, String source) {
    static final String VARIABLE = "RELANCE_GRPC_TOKEN";
    private static final int RANDOM_BYTES = 32;

    InternalToken {
        requireNonNull(value, "value");
        requireNonNull(source, "source");
    }

    /** The token from the environment, else from {@code file}, else a new one written to {@code file}. */
    static InternalToken resolve(Path file, Map<String, String> environment) throws IOException {
        String fromEnvironment = environment.get(VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return new InternalToken(fromEnvironment.strip(), "from " + VARIABLE);
        }
        if (Files.isRegularFile(file)) {
            String stored = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (!stored.isEmpty()) {
                return new InternalToken(stored, "kept in " + file);
            }
            Files.delete(file);
        }
        byte[] random = new byte[RANDOM_BYTES];
        new SecureRandom().nextBytes(random);
        String created = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        writeOwnerOnly(file, created + "\n");
        return new InternalToken(created, "created in " + file);
    }

    private static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            // created between our check and now: overwrite below
        }
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }
}
