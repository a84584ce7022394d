package org.relance.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * The suite's own folder, {@code <root>/.relance}: PostgreSQL's data, the logs, the internal token
 * and the files that tell the shell script what runs ({@code suite.pid}, {@code suite.json},
 * {@code suite-summary.txt}).
 */
final class SuiteFolder {
    private final Path root;
    private final Path folder;

    SuiteFolder(Path root) {
        this.root = requireNonNull(root, "root").toAbsolutePath().normalize();
        this.folder = this.root.resolve(".relance");
    }

    Path root() {
        return root;
    }

    Path folder() {
        return folder;
    }

    Path logs() {
        return folder.resolve("logs");
    }

    Path log(String name) {
        return logs().resolve(name + ".log");
    }

    Path postgresData() {
        return folder.resolve("data").resolve("postgres");
    }

    Path pidFile() {
        return folder.resolve("suite.pid");
    }

    Path stateFile() {
        return folder.resolve("suite.json");
    }

    Path summaryFile() {
        return folder.resolve("suite-summary.txt");
    }

    Path tokenFile() {
        return folder.resolve("internal-token");
    }

    void create() throws IOException {
        Files.createDirectories(logs());
        Files.createDirectories(postgresData().getParent());
    }

    /** {@code path} relative to the project root when it lies inside it, for shorter messages. */
    String show(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        return absolute.startsWith(root) ? root.relativize(absolute).toString() : absolute.toString();
    }

    /** The pid in {@code suite.pid}, if the file holds one. */
    OptionalLong recordedPid() {
        try {
            String text = Files.readString(pidFile(), StandardCharsets.US_ASCII).strip();
            return text.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(text));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    void writePid(long pid) throws IOException {
        writeAtomically(pidFile(), pid + "\n");
    }

    /** Removes {@code suite.pid} if it still names {@code pid} (a newer suite may have taken over). */
    void removePid(long pid) {
        OptionalLong recorded = recordedPid();
        if (recorded.isEmpty() || recorded.getAsLong() == pid) {
            try {
                Files.deleteIfExists(pidFile());
            } catch (IOException e) {
                // nothing to do: the next start treats a pid file without a live process as stale
            }
        }
    }

    Optional<String> readState() {
        try {
            return Optional.of(Files.readString(stateFile(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void writeState(String json) throws IOException {
        writeAtomically(stateFile(), json);
    }

    void writeSummary(String summary) throws IOException {
        writeAtomically(summaryFile(), summary);
    }

    /** Readers (the shell script polls these files) never see half a file. */
    private static void writeAtomically(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temporary, content, StandardCharsets.UTF_8);
        try {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
