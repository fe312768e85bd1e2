package dev.edgegateway.config;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Binds a YAML node tree onto the config records by their component names. Unknown keys,
 * duplicate keys and values of the wrong shape are errors located at their node; rules that a
 * record's constructor enforces ({@link ConfigViolation}) are located at the field they name.
 * Every error is collected, so one run of {@code validate} shows them all.
 *
 * <p>Scalars: strings, integers and longs (a long or int also takes a size such as {@code 16KiB}),
 * booleans ({@code true}/{@code false} only), {@link Duration}s, enums (case-insensitive, {@code -}
 * or {@code _}), and any class with a static {@code parse(String)} method.
 */
final class ConfigBinder {
    /** Marks a value that failed to bind; its parent is not built, so one mistake is reported once. */
    private static final Object FAILED = new Object();

    private final String source;
    private final List<ConfigError> errors = new ArrayList<>();
    private final Map<String, Mark> marks = new HashMap<>();

    ConfigBinder(String source) {
        this.source = source;
    }

    List<ConfigError> errors() {
        return errors;
    }

    /** Returns the bound value, or null if any error was recorded. */
    <T> T bind(Node root, Class<T> type) {
        Object value = bind(root, type, "");
        return errors.isEmpty() && value != FAILED ? type.cast(value) : null;
    }

    private Object bind(Node node, Type type, String path) {
        marks.put(path, node.getStartMark());
        if (type instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            Type arg = p.getActualTypeArguments()[raw == Map.class ? 1 : 0];
            if (raw == List.class) {
                return bindList(node, arg, path);
            }
            if (raw == Map.class) {
                return bindMap(node, arg, path);
            }
            throw new IllegalStateException("unsupported config type " + type);
        }
        Class<?> c = (Class<?>) type;
        if (c.isRecord() && !isParseable(c)) {
            return bindRecord(node, c, path);
        }
        if (!(node instanceof ScalarNode scalar)) {
            return fail(node, path, "expected " + describe(c) + ", found " + shape(node));
        }
        try {
            return scalar(scalar.getValue(), c);
        } catch (IllegalArgumentException e) {
            return fail(node, path, e.getMessage());
        }
    }

    private Object bindRecord(Node node, Class<?> type, String path) {
        if (isNull(node)) {
            return construct(type, new Object[type.getRecordComponents().length], node, path);
        }
        if (!(node instanceof MappingNode mapping)) {
            return fail(node, path, "expected a mapping of " + fieldList(type) + ", found " + shape(node));
        }
        RecordComponent[] components = type.getRecordComponents();
        Object[] args = new Object[components.length];
        Map<String, Node> seen = new HashMap<>();
        boolean failed = false;
        for (NodeTuple tuple : mapping.getValue()) {
            String key = keyOf(tuple, path);
            if (key == null) {
                failed = true;
                continue;
            }
            String childPath = path.isEmpty() ? key : path + "." + key;
            if (seen.put(key, tuple.getKeyNode()) != null) {
                fail(tuple.getKeyNode(), childPath, "duplicate key '" + key + "'");
                failed = true;
                continue;
            }
            int index = indexOf(components, key);
            if (index < 0) {
                List<String> known = Arrays.stream(components).map(RecordComponent::getName).toList();
                fail(tuple.getKeyNode(), childPath, "unknown field '" + key + "'" + Suggestions.didYouMean(key, known)
                        + " (expected one of: " + String.join(", ", known) + ")");
                failed = true;
                continue;
            }
            if (isNull(tuple.getValueNode())) {
                marks.put(childPath, tuple.getValueNode().getStartMark());
                continue;
            }
            Object value = bind(tuple.getValueNode(), components[index].getGenericType(), childPath);
            if (value == FAILED) {
                failed = true;
            } else {
                args[index] = value;
            }
        }
        return failed ? FAILED : construct(type, args, node, path);
    }

    private Object construct(Class<?> type, Object[] args, Node node, String path) {
        try {
            Class<?>[] types = Arrays.stream(type.getRecordComponents()).map(RecordComponent::getType).toArray(Class<?>[]::new);
            Constructor<?> ctor = type.getDeclaredConstructor(types);
            return ctor.newInstance(args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConfigViolation v) {
                for (ConfigViolation.Violation violation : v.violations()) {
                    String field = path.isEmpty() ? violation.field() : path + "." + violation.field();
                    error(markFor(field, node), field, violation.message());
                }
            } else {
                error(node.getStartMark(), path, String.valueOf(cause.getMessage()));
            }
            return FAILED;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build " + type.getName(), e);
        }
    }

    private Object bindList(Node node, Type element, String path) {
        if (!(node instanceof SequenceNode seq)) {
            return fail(node, path, "expected a list, found " + shape(node));
        }
        List<Object> out = new ArrayList<>(seq.getValue().size());
        boolean failed = false;
        for (int i = 0; i < seq.getValue().size(); i++) {
            Object v = bind(seq.getValue().get(i), element, path + "[" + i + "]");
            failed |= v == FAILED;
            out.add(v);
        }
        return failed ? FAILED : out;
    }

    private Object bindMap(Node node, Type value, String path) {
        if (!(node instanceof MappingNode mapping)) {
            return fail(node, path, "expected a mapping, found " + shape(node));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        boolean failed = false;
        for (NodeTuple tuple : mapping.getValue()) {
            String key = keyOf(tuple, path);
            if (key == null) {
                failed = true;
                continue;
            }
            String childPath = (path.isEmpty() ? "" : path + ".") + key;
            if (out.containsKey(key)) {
                fail(tuple.getKeyNode(), childPath, "duplicate key '" + key + "'");
                failed = true;
                continue;
            }
            Object v = bind(tuple.getValueNode(), value, childPath);
            failed |= v == FAILED;
            out.put(key, v);
        }
        return failed ? FAILED : out;
    }

    private String keyOf(NodeTuple tuple, String path) {
        if (tuple.getKeyNode() instanceof ScalarNode k) {
            return k.getValue();
        }
        fail(tuple.getKeyNode(), path, "a key must be a plain name, found " + shape(tuple.getKeyNode()));
        return null;
    }

    static Object scalar(String text, Class<?> type) {
        if (type == String.class) {
            return text;
        }
        if (type == Integer.class || type == int.class) {
            long v = parseLong(text);
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("number " + text + " is too large");
            }
            return (int) v;
        }
        if (type == Long.class || type == long.class) {
            return parseLong(text);
        }
        if (type == Double.class || type == double.class) {
            try {
                double d = Double.parseDouble(text.trim());
                if (!Double.isFinite(d)) {
                    throw new NumberFormatException();
                }
                return d;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected a number such as 1.25, found '" + text + "'");
            }
        }
        if (type == Boolean.class || type == boolean.class) {
            return switch (text) {
                case "true" -> Boolean.TRUE;
                case "false" -> Boolean.FALSE;
                default -> throw new IllegalArgumentException("expected true or false, found '" + text + "'");
            };
        }
        if (type == Duration.class) {
            return Durations.parse(text);
        }
        if (type.isEnum()) {
            String wanted = text.trim().replace('-', '_').toUpperCase(Locale.ROOT);
            for (Object constant : type.getEnumConstants()) {
                if (((Enum<?>) constant).name().equals(wanted)) {
                    return constant;
                }
            }
            throw new IllegalArgumentException("expected one of " + Arrays.stream(type.getEnumConstants())
                    .map(ConfigBinder::enumText).collect(Collectors.joining(", ")) + ", found '" + text + "'");
        }
        try {
            Method parse = type.getMethod("parse", String.class);
            if (Modifier.isStatic(parse.getModifiers())) {
                return parse.invoke(null, text);
            }
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException(String.valueOf(e.getCause()));
        } catch (ReflectiveOperationException ignored) {
            // fall through: not a parseable type
        }
        throw new IllegalStateException("unsupported config type " + type.getName());
    }

    /** True for value types written as one string: they have a static {@code parse(String)}. */
    static boolean isParseable(Class<?> type) {
        try {
            return Modifier.isStatic(type.getMethod("parse", String.class).getModifiers());
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    static String enumText(Object constant) {
        return ((Enum<?>) constant).name().toLowerCase(Locale.ROOT);
    }

    private static long parseLong(String text) {
        String t = text.trim().replace("_", "");
        long unit = 1;
        String[][] units = {{"KiB", "1024"}, {"MiB", "1048576"}, {"GiB", "1073741824"}, {"KB", "1000"}, {"MB", "1000000"}, {"GB", "1000000000"}};
        for (String[] u : units) {
            if (t.endsWith(u[0])) {
                unit = Long.parseLong(u[1]);
                t = t.substring(0, t.length() - u[0].length()).trim();
                break;
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(t), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("expected a whole number (sizes may end in KiB, MiB, GiB), found '" + text + "'");
        }
    }

    private static int indexOf(RecordComponent[] components, String name) {
        for (int i = 0; i < components.length; i++) {
            if (components[i].getName().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isNull(Node node) {
        return node instanceof ScalarNode s && (s.getTag().equals(Tag.NULL) || (s.getValue().isEmpty() && s.getScalarStyle().getChar() == null));
    }

    private static String shape(Node node) {
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        return "'" + ((ScalarNode) node).getValue() + "'";
    }

    private static String describe(Class<?> c) {
        if (c == Duration.class) {
            return "a duration (e.g. 5s)";
        }
        if (c == Integer.class || c == Long.class || c == int.class || c == long.class) {
            return "a number";
        }
        return "a single value";
    }

    private static String fieldList(Class<?> type) {
        return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).collect(Collectors.joining(", "));
    }

    /** Where each bound field is, {line, column} by path: kept with the snapshot for errors found while compiling it. */
    Map<String, int[]> positions() {
        Map<String, int[]> out = new HashMap<>();
        marks.forEach((path, m) -> out.put(path, new int[] {m.getLine() + 1, m.getColumn() + 1}));
        return Collections.unmodifiableMap(out);
    }

    /** The position of {@code path}, or of its nearest ancestor present in the document. */
    private Mark markFor(String path, Node fallback) {
        String p = path;
        while (true) {
            Mark m = marks.get(p);
            if (m != null) {
                return m;
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            if (cut <= 0) {
                return marks.getOrDefault("", fallback.getStartMark());
            }
            p = p.substring(0, cut);
        }
    }

    private Object fail(Node node, String path, String message) {
        error(node.getStartMark(), path, message);
        return FAILED;
    }

    private void error(Mark mark, String path, String message) {
        errors.add(new ConfigError(source, mark.getLine() + 1, mark.getColumn() + 1, path, message));
    }
}
