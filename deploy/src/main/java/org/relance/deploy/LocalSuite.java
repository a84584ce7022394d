package org.relance.deploy;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import org.relance.kit.db.EmbeddedPostgresServer;

import static java.util.Objects.requireNonNull;

/**
 * The local suite in one process: one embedded PostgreSQL with a database per service, then every
 * built service as a child process, in order, each waited for until ready. SIGINT, SIGTERM and
 * SIGHUP stop the services in reverse order, then PostgreSQL. {@code deploy/local/relance} wraps it.
 */
public final class LocalSuite {
    static final String PG_PORT_VARIABLE = "RELANCE_LOCAL_PG_PORT";
    static final int DEFAULT_PG_PORT = 15432;
    static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    static final Duration STOP_GRACE = Duration.ofSeconds(20);
    static final String DEMO_STORE_ID = "demo";
    static final String DEMO_SITE_KEY = "pk_demo_relance";
    private static final int LOG_TAIL_LINES = 40;

    /**
     * What one run needs; {@link #fromEnvironment} gives the real one, tests pass their own.
     *
     * @param root         the project root
     * @param pgPort       PostgreSQL's port
     * @param services     the services in start order
     * @param readyTimeout how long a service may take to become ready
     * @param javaCommand  the {@code java} that runs the services
     * @param environment  the launcher's environment (for the token override)
     */
    record Settings(Path root, int pgPort, List<ServiceSpec> services, Duration readyTimeout,
                    String javaCommand, Map<String, String> environment) {
        Settings {
            root = requireNonNull(root, "root").toAbsolutePath().normalize();
            services = List.copyOf(services);
            requireNonNull(readyTimeout, "readyTimeout");
            requireNonNull(javaCommand, "javaCommand");
            environment = Map.copyOf(environment);
        }

        static Settings fromEnvironment(Path root, Map<String, String> environment) {
            String portText = environment.getOrDefault(PG_PORT_VARIABLE, "").strip();
            int pgPort = DEFAULT_PG_PORT;
            if (!portText.isEmpty()) {
                try {
                    pgPort = Integer.parseInt(portText);
                } catch (NumberFormatException e) {
                    pgPort = -1;
                }
                if (pgPort < 1 || pgPort > 65535) {
                    throw new IllegalArgumentException(PG_PORT_VARIABLE + " must be a port number, not '" + portText + "'");
                }
            }
            return new Settings(root, pgPort, ServiceSpec.SUITE, READY_TIMEOUT, javaCommand(environment), environment);
        }

        /** JAVA_HOME's java, else the one running the launcher (the java on PATH when started by the script). */
        private static String javaCommand(Map<String, String> environment) {
            String javaHome = environment.getOrDefault("JAVA_HOME", "");
            if (!javaHome.isBlank() && Files.isExecutable(Path.of(javaHome, "bin", "java"))) {
                return Path.of(javaHome, "bin", "java").toString();
            }
            Path running = Path.of(System.getProperty("java.home"), "bin", "java");
            return Files.isExecutable(running) ? running.toString() : "java";
        }
    }

    private final Settings settings;
    private final SuiteFolder folder;
    private final PrintStream out;
    private final long ownPid = ProcessHandle.current().pid();

    /** Guards {@link #postgres}, {@link #children} and {@link #states}; held while a process starts. */
    private final Object lock = new Object();
    private final List<ChildService> children = new ArrayList<>();
    private final Map<String, SuiteState.Service> states = new LinkedHashMap<>();
    private EmbeddedPostgresServer postgres;
    private long postmasterPid;

    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final Object stopLock = new Object();
    private boolean stopped;
    private final CountDownLatch stoppedLatch = new CountDownLatch(1);
    private volatile boolean startFailed;
    /** Set once suite.pid is ours: before that, another suite's state files must be left alone. */
    private volatile boolean ownsFolder;

    LocalSuite(Settings settings, PrintStream out) {
        this.settings = requireNonNull(settings, "settings");
        this.folder = new SuiteFolder(settings.root());
        this.out = requireNonNull(out, "out");
        for (ServiceSpec spec : settings.services()) {
            states.put(spec.module(), new SuiteState.Service(spec, "not-built", 0));
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
        String command = null;
        Path root = Path.of("");
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--root") && i + 1 < args.length) {
                root = Path.of(args[++i]);
            } else if (arg.startsWith("--root=")) {
                root = Path.of(arg.substring("--root=".length()));
            } else if (arg.equals("-h") || arg.equals("--help") || arg.equals("help")) {
                out.print(usage());
                return 0;
            } else if (command == null && !arg.startsWith("-")) {
                command = arg;
            } else {
                err.println("relance: unknown argument '" + arg + "'");
                err.print(usage());
                return 2;
            }
        }
        if (!"up".equals(command)) {
            err.println(command == null ? "relance: say what to do" : "relance: unknown command '" + command + "'");
            err.print(usage());
            return 2;
        }
        Settings settings;
        try {
            settings = Settings.fromEnvironment(root, environment);
        } catch (IllegalArgumentException e) {
            err.println("relance: " + e.getMessage());
            return 2;
        }
        if (!Files.isDirectory(settings.root())) {
            err.println("relance: no such folder: " + settings.root());
            return 2;
        }
        LocalSuite suite = new LocalSuite(settings, out);
        try {
            suite.folder.create();
            SuiteLogging.configure(suite.folder.log("postgres"));
        } catch (IOException e) {
            err.println("relance: cannot prepare " + suite.folder.folder() + ": " + e.getMessage());
            return 1;
        }
        suite.installStopTriggers();
        return suite.up();
    }

    static String usage() {
        return """
                usage: java -jar deploy/target/relance-deploy-<version>.jar up [--root DIR]

                Starts the local Relance suite in the foreground: one embedded PostgreSQL (data in
                DIR/.relance/data/postgres, port $RELANCE_LOCAL_PG_PORT or 15432) with a database per
                service, then every service that is built (DIR/<module>/target/quarkus-app/quarkus-run.jar),
                each on its fixed port. Ctrl-C or SIGTERM stops everything. DIR defaults to the current
                folder. deploy/local/relance up builds what is missing first.
                """;
    }

    /**
     * Starts everything, prints the summary and blocks until stopped.
     *
     * @return the exit code: 0 once stopped on request, 1 if the suite could not start
     */
    int up() {
        try {
            start();
        } catch (SuiteException e) {
            if (!stopRequested.get()) {
                startFailed = true;
                out.println("relance: " + e.getMessage());
                if (!e.logTail().isEmpty()) {
                    out.println("---- last " + e.logTail().size() + " lines of the log ----");
                    e.logTail().forEach(out::println);
                    out.println("----");
                }
                stop("failed");
                return 1;
            }
        }
        if (stopRequested.get()) {
            awaitStopped();
            return startFailed ? 1 : 0;
        }
        watchUntilStopped();
        return 0;
    }

    /**
     * Clears what an earlier run left, starts PostgreSQL and the built services, writes the state
     * files and prints the summary. Returns once all are ready; {@link #stop} ends it.
     */
    void start() throws SuiteException {
        new Leftovers(folder, out).clear();
        checkPorts();
        try {
            folder.writePid(ownPid);
            ownsFolder = true;
        } catch (IOException e) {
            throw new SuiteException("cannot write " + folder.pidFile() + ": " + e.getMessage());
        }
        InternalToken token;
        try {
            token = InternalToken.resolve(folder.tokenFile(), settings.environment());
        } catch (IOException e) {
            throw new SuiteException("cannot read or create the internal token in " + folder.tokenFile() + ": "
                    + e.getMessage());
        }
        writeState("starting");
        startPostgres();
        createDatabases();
        for (ServiceSpec spec : settings.services()) {
            startService(spec, token);
        }
        String summary = summary(token);
        try {
            folder.writeSummary(summary);
        } catch (IOException e) {
            out.println("relance: cannot write " + folder.summaryFile() + ": " + e.getMessage());
        }
        // after the summary: `relance up -d` prints it as soon as the state says ready
        writeState("ready");
        out.println();
        out.print(summary);
        out.println();
        out.println("Stop it with Ctrl-C here, or with deploy/local/relance down.");
    }

    private void checkPorts() throws SuiteException {
        List<String> taken = new ArrayList<>();
        if (!Ports.isFree(settings.pgPort())) {
            taken.add(settings.pgPort() + " (PostgreSQL; choose another with " + PG_PORT_VARIABLE + ")");
        }
        for (ServiceSpec spec : settings.services()) {
            if (Files.isRegularFile(spec.jar(settings.root())) && !Ports.isFree(spec.port())) {
                taken.add(spec.port() + " (" + spec.module() + ")");
            }
        }
        if (!taken.isEmpty()) {
            throw new SuiteException("port" + (taken.size() > 1 ? "s " : " ") + String.join(", ", taken)
                    + (taken.size() > 1 ? " are" : " is") + " already in use by another program; "
                    + "stop it first (ss -ltnp shows who listens where)");
        }
    }

    private void startPostgres() throws SuiteException {
        Path data = folder.postgresData();
        boolean fresh = !Files.exists(data.resolve("postgresql.conf"));
        out.println("PostgreSQL: starting on port " + settings.pgPort() + " (data in " + folder.show(data)
                + (fresh ? ", initialising it" : "") + ")");
        long started = System.nanoTime();
        synchronized (lock) {
            if (stopRequested.get()) {
                throw new SuiteException("stopped before PostgreSQL started");
            }
            try {
                postgres = EmbeddedPostgresServer.start(data, settings.pgPort());
            } catch (RuntimeException e) {
                throw new SuiteException("PostgreSQL did not start: " + rootMessage(e) + " (log: "
                        + folder.show(folder.log("postgres")) + ")",
                        ChildService.tail(folder.log("postgres"), LOG_TAIL_LINES), e);
            }
            postmasterPid = postmasterPid(data);
        }
        out.println("PostgreSQL: ready in " + seconds(started) + (postmasterPid > 0 ? " (pid " + postmasterPid + ")" : ""));
    }

    private void createDatabases() throws SuiteException {
        List<String> report = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl("postgres"));
             PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?");
             Statement create = connection.createStatement()) {
            for (ServiceSpec spec : settings.services()) {
                exists.setString(1, spec.database());
                boolean present;
                try (ResultSet rows = exists.executeQuery()) {
                    present = rows.next();
                }
                if (!present) {
                    create.execute("CREATE DATABASE \"" + spec.database().replace("\"", "\"\"") + "\"");
                }
                report.add(spec.database() + (present ? "" : " (created)"));
            }
        } catch (SQLException e) {
            throw new SuiteException("cannot create the databases: " + e.getMessage(), List.of(), e);
        }
        out.println("PostgreSQL: databases " + String.join(", ", report));
    }

    private void startService(ServiceSpec spec, InternalToken token) throws SuiteException {
        Path jar = spec.jar(settings.root());
        if (!Files.isRegularFile(jar)) {
            out.println(spec.module() + ": not built (no " + folder.show(jar) + "), skipped");
            return;
        }
        ChildService child;
        long started = System.nanoTime();
        synchronized (lock) {
            if (stopRequested.get()) {
                throw new SuiteException("stopped before " + spec.module() + " started");
            }
            try {
                child = ChildService.start(spec, settings.javaCommand(), jar, settings.root(),
                        environmentFor(spec, token), folder.log(spec.module()));
            } catch (IOException e) {
                throw new SuiteException("cannot start " + spec.module() + ": " + e.getMessage(), List.of(), e);
            }
            children.add(child);
            states.put(spec.module(), new SuiteState.Service(spec, "starting", child.pid()));
        }
        writeState("starting");
        out.println(spec.module() + ": starting on port " + spec.port() + " (pid " + child.pid() + ", log "
                + folder.show(child.log()) + ")");
        ChildService.Readiness readiness = child.awaitReady(settings.readyTimeout(), stopRequested::get);
        switch (readiness) {
            case READY -> {
                setState(spec, "ready", child.pid());
                out.println(spec.module() + ": ready in " + seconds(started));
            }
            case EXITED -> throw new SuiteException(spec.module() + " exited with code " + child.exitCode()
                    + " before it was ready (log: " + folder.show(child.log()) + ")",
                    ChildService.tail(child.log(), LOG_TAIL_LINES));
            case TIMED_OUT -> throw new SuiteException(spec.module() + " was not ready within "
                    + settings.readyTimeout().toSeconds() + " s (" + spec.url() + "/q/health/ready; log: "
                    + folder.show(child.log()) + ")",
                    ChildService.tail(child.log(), LOG_TAIL_LINES));
            case CANCELLED -> throw new SuiteException("stopped before " + spec.module() + " was ready");
        }
    }

    /** What every service reads (DESIGN.md §10): its port, its database, the token, its peers. */
    private Map<String, String> environmentFor(ServiceSpec spec, InternalToken token) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("QUARKUS_HTTP_PORT", Integer.toString(spec.port()));
        environment.put("RELANCE_DB_URL", "postgresql://localhost:" + postgres.port() + "/" + spec.database());
        environment.put("RELANCE_DB_USERNAME", "postgres");
        environment.put(InternalToken.VARIABLE, token.value());
        environment.put("RELANCE_CART_DEMO_ENABLED", "true");
        // The edge serves the demo shop; its read API and the links use secrets derived from the
        // suite's token (kept in .relance/internal-token), so a restart keeps links valid.
        environment.put("RELANCE_EDGE_DEMO_ENABLED", "true");
        environment.put("RELANCE_ADMIN_TOKEN", token.value());
        environment.put("RELANCE_LINK_SECRET", "link-" + token.value());
        for (ServiceSpec peer : settings.services()) {
            peer.addressVariable().ifPresent(variable -> {
                environment.put(variable, "localhost:" + peer.port());
                // The services' gRPC clients take host and port apart (RELANCE_CART_HOST, RELANCE_CART_PORT).
                String prefix = variable.substring(0, variable.length() - "_SERVICE_URL".length());
                environment.put(prefix + "_HOST", "localhost");
                environment.put(prefix + "_PORT", Integer.toString(peer.port()));
            });
        }
        return environment;
    }

    private String summary(InternalToken token) {
        StringBuilder text = new StringBuilder();
        List<SuiteState.Service> services;
        synchronized (lock) {
            services = List.copyOf(states.values());
        }
        boolean anyRunning = services.stream().anyMatch(service -> service.pid() > 0);
        text.append(anyRunning ? "Relance is up.\n\n" : "Relance is up, but no service is built yet.\n\n");
        for (SuiteState.Service service : services) {
            ServiceSpec spec = service.spec();
            if (service.pid() > 0) {
                text.append(String.format("  %-20s %-24s pid %d%n", spec.module(), spec.url(), service.pid()));
            } else {
                text.append(String.format("  %-20s %s%n", spec.module(), "not built"));
            }
        }
        text.append(String.format("  %-20s %-24s pid %d, data in %s%n", "PostgreSQL",
                "localhost:" + postgres.port(), postmasterPid, folder.postgresData()));
        text.append('\n');
        if (demoShop().isPresent()) {
            text.append(String.format("  %-16s %s%n", "Demo shop", demoShop().get()));
        } else {
            text.append(String.format("  %-16s %s%n", "Demo shop", "none: the edge (" + ServiceSpec.EDGE
                    + ") is not built yet"));
        }
        text.append(String.format("  %-16s %s%n", "Demo store id", DEMO_STORE_ID));
        text.append(String.format("  %-16s %s%n", "Demo site key", DEMO_SITE_KEY + "  (the demo site's public key)"));
        text.append(String.format("  %-16s %s%n", "Admin token", "the internal token below (edge read API: /api/v1, Bearer)"));
        text.append(String.format("  %-16s %s%n", "Internal token", token.value() + "  (" + InternalToken.VARIABLE
                + ", " + token.source() + ")"));
        text.append(String.format("  %-16s %s%n", "Logs", folder.logs()));
        if (!anyRunning) {
            text.append('\n').append("Build the services with ./mvnw -B -DskipTests package "
                    + "(deploy/local/relance up does it for you), then start again.\n");
        }
        return text.toString();
    }

    private Optional<String> demoShop() {
        synchronized (lock) {
            SuiteState.Service edge = states.get(ServiceSpec.EDGE);
            if (edge != null && edge.state().equals("ready")) {
                return Optional.of(edge.spec().url() + "/demo/");
            }
        }
        return Optional.empty();
    }

    /** After start-up: report a service that dies on its own (the rest keeps running) until stopped. */
    private void watchUntilStopped() {
        try {
            while (!stoppedLatch.await(1, TimeUnit.SECONDS)) {
                List<ChildService> current;
                synchronized (lock) {
                    current = List.copyOf(children);
                }
                for (ChildService child : current) {
                    if (stopRequested.get()) {
                        break;
                    }
                    String state = state(child.spec());
                    if (!child.isAlive() && state.equals("ready")) {
                        setState(child.spec(), "exited", child.pid());
                        writeState("ready");
                        out.println("relance: " + child.spec().module() + " exited on its own (code "
                                + child.exitCode() + "); the rest keeps running. Last lines of "
                                + folder.show(child.log()) + ":");
                        ChildService.tail(child.log(), LOG_TAIL_LINES).forEach(out::println);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop("stopped");
        }
    }

    private void installStopTriggers() {
        StopSignals.handle(List.of("INT", "TERM", "HUP"), this::requestStop);
        // Runs for any other way out of the JVM; after a handled signal there is nothing left to do.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop("stopped"), "relance-shutdown"));
    }

    /** Stops on a signal, in order, from a thread of its own. */
    private void requestStop(String reason) {
        if (stopRequested.getAndSet(true)) {
            out.println("relance: " + reason + ": already stopping, please wait");
            return;
        }
        out.println();
        out.println("relance: " + reason + " received, stopping");
        Thread stopper = new Thread(() -> stop("stopped"), "relance-stop");
        stopper.start();
    }

    /**
     * Stops the services in reverse start order (SIGTERM, then SIGKILL after {@link #STOP_GRACE}),
     * then PostgreSQL, and removes {@code suite.pid}. Idempotent; a second caller waits for the first.
     */
    void stop(String finalState) {
        stopRequested.set(true);
        synchronized (stopLock) {
            if (stopped) {
                return;
            }
            if (!ownsFolder) {
                stopped = true;
                stoppedLatch.countDown();
                return;
            }
            List<ChildService> running;
            EmbeddedPostgresServer database;
            synchronized (lock) {
                running = new ArrayList<>(children);
                database = postgres;
            }
            writeState("stopping");
            for (int i = running.size() - 1; i >= 0; i--) {
                ChildService child = running.get(i);
                boolean wasAlive = child.isAlive();
                if (wasAlive) {
                    setState(child.spec(), "stopping", child.pid());
                    writeState("stopping");
                }
                String how = child.stop(STOP_GRACE);
                setState(child.spec(), "stopped", child.pid());
                if (wasAlive) {
                    out.println(child.spec().module() + ": " + how);
                }
            }
            if (database != null) {
                try {
                    database.close();
                    awaitPostmasterExit();
                    out.println("PostgreSQL: stopped");
                } catch (UncheckedIOException e) {
                    out.println("PostgreSQL: could not stop cleanly: " + rootMessage(e));
                }
            }
            writeState(finalState);
            folder.removePid(ownPid);
            stopped = true;
            stoppedLatch.countDown();
        }
    }

    /** pg_ctl stop returns once postmaster.pid is gone, a moment before the postmaster has exited. */
    private void awaitPostmasterExit() {
        if (postmasterPid <= 0) {
            return;
        }
        ProcessHandle.of(postmasterPid).ifPresent(postmaster -> Leftovers.awaitExit(postmaster, Duration.ofSeconds(5)));
    }

    private void awaitStopped() {
        try {
            stoppedLatch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The port of the suite's PostgreSQL, once started. */
    int postgresPort() {
        synchronized (lock) {
            return postgres == null ? -1 : postgres.port();
        }
    }

    /** The services' processes, in start order. */
    List<ChildService> children() {
        synchronized (lock) {
            return List.copyOf(children);
        }
    }

    SuiteFolder folder() {
        return folder;
    }

    private String state(ServiceSpec spec) {
        synchronized (lock) {
            return states.get(spec.module()).state();
        }
    }

    private void setState(ServiceSpec spec, String state, long pid) {
        synchronized (lock) {
            states.put(spec.module(), new SuiteState.Service(spec, state, pid));
        }
    }

    private void writeState(String state) {
        SuiteState snapshot;
        synchronized (lock) {
            int pgPort = postgres == null ? settings.pgPort() : postgres.port();
            snapshot = new SuiteState(state, ownPid, folder.root().toString(),
                    new SuiteState.Postgres(pgPort, postmasterPid, folder.postgresData().toString()),
                    demoShopLocked(state), folder.logs().toString(), List.copyOf(states.values()));
        }
        try {
            folder.writeState(snapshot.toJson());
        } catch (IOException e) {
            out.println("relance: cannot write " + folder.stateFile() + ": " + e.getMessage());
        }
    }

    private Optional<String> demoShopLocked(String state) {
        SuiteState.Service edge = states.get(ServiceSpec.EDGE);
        boolean running = state.equals("ready") || state.equals("starting");
        return edge != null && running && edge.state().equals("ready")
                ? Optional.of(edge.spec().url() + "/demo/")
                : Optional.empty();
    }

    private static long postmasterPid(Path data) {
        try {
            List<String> lines = Files.readAllLines(data.resolve("postmaster.pid"));
            return lines.isEmpty() ? 0 : Long.parseLong(lines.get(0).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private static String seconds(long startedNanos) {
        return String.format("%.1f s", (System.nanoTime() - startedNanos) / 1e9);
    }

    private static String rootMessage(Throwable error) {
        Throwable cause = error;
        List<String> messages = new ArrayList<>();
        while (cause != null) {
            if (cause.getMessage() != null && !messages.contains(cause.getMessage())) {
                messages.add(cause.getMessage());
            }
            cause = cause.getCause();
        }
        return messages.isEmpty() ? error.getClass().getSimpleName() : messages.stream().collect(Collectors.joining(": "));
    }
}
