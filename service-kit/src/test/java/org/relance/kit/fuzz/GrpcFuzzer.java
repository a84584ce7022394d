package org.relance.kit.fuzz;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A seeded generator of hostile requests for any gRPC service, driven by the proto descriptors:
 * huge and unicode-edge strings, NUL, out-of-range numbers and enum values, money with
 * impossible nanos, timestamps outside the calendar, oversized repeated fields, deep nesting.
 * Fields named in {@code hints} get one of the given (valid) values half of the time, so that
 * calls get past "not found" into the deeper rules. The same seed gives the same requests.
 */
public final class GrpcFuzzer {
    private static final int MAX_DEPTH = 6;
    private static final String[] STRINGS = {
        "", "a", "s-fuzz", "x".repeat(501), "x".repeat(2_001), "y".repeat(100_001), "\u0000", "a\u0000b",
        "é漢字🙂", "\u202Egnp.exe", "\uFEFF", "\uD83D", "\u0085\u2028", " ", "' OR 1=1 --", "${jndi:ldap://x/a}",
        "<script>alert(1)</script>", "https://shop.example/cart?utm_source=x#f", "javascript:alert(1)", "/cart*", "*",
        "NaN", "-1", "1e309", "Infinity", "EUR", "eur", "XXX", "Europe/Paris", "Mars/Olympus", "2026-13-45",
    };
    private static final long[] LONGS = {0, 1, -1, 2, 7, 500, 501, 1_000_000, Integer.MAX_VALUE, Integer.MIN_VALUE,
        Long.MAX_VALUE, Long.MIN_VALUE};
    private static final long[] SECONDS = {0, 1_795_000_000L, -62_135_596_801L, 253_402_300_800L, Long.MAX_VALUE, -1};
    private static final int[] NANOS = {0, 1, 999_999_999, -1, 1_000_000_000, Integer.MIN_VALUE};

    private final Random random;
    private final Map<String, List<String>> hints;

    public GrpcFuzzer(long seed, Map<String, List<String>> hints) {
        this.random = new Random(seed);
        this.hints = Map.copyOf(hints);
    }

    /** The unary methods of every service in these files (streams are not fuzzed here). */
    public static List<MethodDescriptor> unaryMethods(FileDescriptor... files) {
        List<MethodDescriptor> methods = new ArrayList<>();
        for (FileDescriptor file : files) {
            for (ServiceDescriptor service : file.getServices()) {
                for (MethodDescriptor m : service.getMethods()) {
                    if (!m.isClientStreaming() && !m.isServerStreaming()) {
                        methods.add(m);
                    }
                }
            }
        }
        return methods;
    }

    /** Picks one of the methods. */
    public MethodDescriptor pick(List<MethodDescriptor> methods) {
        return methods.get(random.nextInt(methods.size()));
    }

    /** A random request for a method. */
    public DynamicMessage request(MethodDescriptor method) {
        return message(method.getInputType(), 0);
    }

    /** A random message of a type. */
    public DynamicMessage message(Descriptor type, int depth) {
        DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
        switch (type.getFullName()) {
            case "google.protobuf.Timestamp", "google.protobuf.Duration" -> {
                b.setField(type.findFieldByName("seconds"), SECONDS[random.nextInt(SECONDS.length)]);
                b.setField(type.findFieldByName("nanos"), NANOS[random.nextInt(NANOS.length)]);
                return b.build();
            }
            default -> {
            }
        }
        for (OneofDescriptor oneof : type.getRealOneofs()) {
            if (random.nextInt(5) > 0) {
                FieldDescriptor f = oneof.getField(random.nextInt(oneof.getFieldCount()));
                set(b, f, depth);
            }
        }
        for (FieldDescriptor f : type.getFields()) {
            if (f.getRealContainingOneof() != null) {
                continue;
            }
            if (random.nextInt(4) == 0) {
                continue;
            }
            set(b, f, depth);
        }
        return b.build();
    }

    private void set(DynamicMessage.Builder b, FieldDescriptor f, int depth) {
        if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && depth >= MAX_DEPTH && !deepTree(f)) {
            return;
        }
        if (f.isRepeated()) {
            int n = switch (random.nextInt(12)) {
                case 0 -> 0;
                case 1 -> depth == 0 ? 501 : 4;
                default -> 1 + random.nextInt(3);
            };
            for (int i = 0; i < n; i++) {
                Object value = value(f, depth + 1);
                if (value != null) {
                    b.addRepeatedField(f, value);
                }
            }
        } else {
            Object value = value(f, depth + 1);
            if (value != null) {
                b.setField(f, value);
            }
        }
    }

    /** Trees of conditions may go far deeper than other messages: hostile input includes deep trees. */
    private boolean deepTree(FieldDescriptor f) {
        return f.getMessageType().getName().endsWith("Condition") && random.nextInt(3) > 0;
    }

    private Object value(FieldDescriptor f, int depth) {
        return switch (f.getJavaType()) {
            case STRING -> string(f.getName());
            case INT -> (int) LONGS[random.nextInt(LONGS.length)];
            case LONG -> LONGS[random.nextInt(LONGS.length)];
            case BOOLEAN -> random.nextBoolean();
            case DOUBLE -> new double[] {Double.NaN, Double.POSITIVE_INFINITY, -0.0, 1e308, 42.5}[random.nextInt(5)];
            case FLOAT -> new float[] {Float.NaN, Float.NEGATIVE_INFINITY, -0.0f, 3.4e38f, 1.5f}[random.nextInt(5)];
            case BYTE_STRING -> ByteString.copyFrom(new byte[random.nextInt(40)]);
            case ENUM -> {
                EnumDescriptor e = f.getEnumType();
                yield random.nextInt(6) == 0 ? e.findValueByNumberCreatingIfUnknown(99)
                        : e.getValues().get(random.nextInt(e.getValues().size()));
            }
            case MESSAGE -> depth > 60 ? null : message(f.getMessageType(), depth);
        };
    }

    private String string(String fieldName) {
        List<String> hinted = hints.get(fieldName);
        if (hinted != null && !hinted.isEmpty() && random.nextBoolean()) {
            return hinted.get(random.nextInt(hinted.size()));
        }
        if (random.nextInt(4) == 0) {
            StringBuilder s = new StringBuilder();
            int n = 1 + random.nextInt(24);
            for (int i = 0; i < n; i++) {
                s.append((char) ('a' + random.nextInt(26)));
            }
            return s.toString();
        }
        return STRINGS[random.nextInt(STRINGS.length)];
    }

    /** What a call answered: its status code and description (OK when it succeeded). */
    public record Outcome(Status.Code code, String description) {
        public boolean ok() {
            return code == Status.Code.OK;
        }
    }

    /** Calls a unary method with a request built from its descriptor, waiting at most {@code deadline}. */
    public static Outcome call(Channel channel, CallCredentials credentials, MethodDescriptor method, DynamicMessage request,
                               Duration deadline) {
        io.grpc.MethodDescriptor<DynamicMessage, DynamicMessage> md = io.grpc.MethodDescriptor
                .<DynamicMessage, DynamicMessage>newBuilder()
                .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(io.grpc.MethodDescriptor.generateFullMethodName(method.getService().getFullName(),
                        method.getName()))
                .setRequestMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(method.getInputType())))
                .setResponseMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(method.getOutputType())))
                .build();
        try {
            ClientCalls.blockingUnaryCall(channel, md, CallOptions.DEFAULT.withCallCredentials(credentials)
                    .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS), request);
            return new Outcome(Status.Code.OK, "");
        } catch (StatusRuntimeException e) {
            return new Outcome(e.getStatus().getCode(), e.getStatus().getDescription() == null ? "" : e.getStatus().getDescription());
        }
    }

    /** What a fuzzing run saw: answers by code, and every call that broke a rule. */
    public record Report(Map<Status.Code, Integer> codes, List<String> failures, List<String> leaks, List<String> changedByRefusal) {
        public int count(Status.Code code) {
            return codes.getOrDefault(code, 0);
        }
    }

    /**
     * Sends {@code calls} random requests to random methods. Before each call, {@code beforeCall}
     * runs (to let background work settle) and the tables are digested; a call that is refused
     * must leave the digest as it was. A call answered with a failure code, or a message naming an
     * exception, SQL, a driver or one of {@code secrets}, is reported.
     */
    public Report run(Channel channel, CallCredentials credentials, List<MethodDescriptor> methods, int calls,
                      java.util.function.Supplier<Map<String, String>> digest, Runnable beforeCall, List<String> secrets) {
        Map<Status.Code, Integer> codes = new java.util.EnumMap<>(Status.Code.class);
        List<String> failures = new ArrayList<>();
        List<String> leaks = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            MethodDescriptor method = pick(methods);
            DynamicMessage request = request(method);
            beforeCall.run();
            Map<String, String> before = digest.get();
            Outcome outcome = call(channel, credentials, method, request, Duration.ofSeconds(20));
            codes.merge(outcome.code(), 1, Integer::sum);
            String what = "#" + i + " " + method.getName() + " -> " + outcome.code() + " " + outcome.description();
            if (isFailure(outcome.code())) {
                failures.add(what + "\n  request: " + abbreviate(request.toString()));
                continue;
            }
            String lower = outcome.description().toLowerCase(java.util.Locale.ROOT);
            if (lower.contains("exception") || outcome.description().contains("SELECT ") || lower.contains("r2dbc")
                    || secrets.stream().anyMatch(outcome.description()::contains)) {
                leaks.add(what);
            }
            if (!outcome.ok()) {
                Map<String, String> after = digest.get();
                if (!after.equals(before)) {
                    List<String> tables = after.keySet().stream().filter(t -> !java.util.Objects.equals(after.get(t), before.get(t))).toList();
                    changed.add(what + " changed " + tables);
                }
            }
        }
        return new Report(codes, failures, leaks, changed);
    }

    private static String abbreviate(String text) {
        return text.length() > 600 ? text.substring(0, 600) + "…" : text;
    }

    /** Codes a service must never answer to bad input: they mean it failed instead of refusing. */
    public static boolean isFailure(Status.Code code) {
        return code == Status.Code.INTERNAL || code == Status.Code.UNKNOWN || code == Status.Code.DATA_LOSS
                || code == Status.Code.UNIMPLEMENTED || code == Status.Code.DEADLINE_EXCEEDED;
    }
}
