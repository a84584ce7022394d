package org.relance.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InternalTokenTest {

    @Test
    void isCreatedOnceReadableOnlyByItsOwnerAndReusedAfterwards(@TempDir Path folder) throws Exception {
        Path file = folder.resolve(".relance").resolve("internal-token");

        InternalToken first = InternalToken.resolve(file, Map.of());
        InternalToken second = InternalToken.resolve(file, Map.of());

        assertTrue(first.value().matches("[A-Za-z0-9_-]{43}"), first.value());
        assertEquals(first.value(), second.value());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertNotEquals(first.value(), InternalToken.resolve(folder.resolve("other"), Map.of()).value());
    }

    @Test
    void theEnvironmentOverridesTheStoredToken(@TempDir Path folder) throws Exception {
        Path file = folder.resolve("internal-token");

        InternalToken token = InternalToken.resolve(file, Map.of("RELANCE_GRPC_TOKEN", "from-the-env"));

        assertEquals("from-the-env", token.value());
        assertFalse(Files.exists(file), "nothing written when the environment gives the token");
    }
}
