package dev.edgegateway.config;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads a config document and validates all of it, or reports every error with its file, line,
 * column and field path. Does file I/O: call it off the event loops.
 */
public final class ConfigLoader {
    /** Documents larger than this are refused before parsing. */
    public static final int MAX_DOCUMENT_BYTES = 4 << 20;
    /** An IPv6 address in brackets, with its port if it has one, not after a quote. */
    private static final Pattern UNQUOTED_V6 = Pattern.compile("(?<![\"'])(\\[[0-9A-Fa-f.]*:[0-9A-Fa-f.:]*\\](?::[0-9]+)?)");

    private ConfigLoader() {}

    public static ConfigSnapshot load(Path file, long generation) throws ConfigException {
        String text;
        try {
            if (Files.size(file) > MAX_DOCUMENT_BYTES) {
                throw new ConfigException(List.of(new ConfigError(file.toString(), 0, 0, "", "the document is larger than " + MAX_DOCUMENT_BYTES + " bytes")));
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(new ConfigError(file.toString(), 0, 0, "", "no such file")));
        } catch (IOException e) {
            throw new ConfigException(List.of(new ConfigError(file.toString(), 0, 0, "", "cannot read: " + e.getMessage())));
        }
        return parse(text, file.toString(), generation);
    }

    /**
     * An IPv6 address written {@code [::1]:9001} without quotes opens a YAML flow sequence, and the
     * parser's own words ("expected the node content, but found ':'") do not say so: when the broken
     * line holds one, the error shows it quoted.
     */
    private static String bracketHint(String text, int line) {
        String[] lines = text.split("\n", line + 2);
        if (line >= lines.length) {
            return "";
        }
        Matcher m = UNQUOTED_V6.matcher(lines[line]);
        return m.find() ? "; an IPv6 address in brackets needs quotes in YAML: \"" + m.group(1) + "\"" : "";
    }

    public static ConfigSnapshot parse(String text, String source, long generation) throws ConfigException {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(50);
        options.setCodePointLimit(MAX_DOCUMENT_BYTES);
        options.setNestingDepthLimit(50);
        Node root;
        try {
            root = new Yaml(options).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            throw new ConfigException(List.of(new ConfigError(source, m == null ? 0 : m.getLine() + 1, m == null ? 0 : m.getColumn() + 1,
                    "", "not valid YAML: " + problem.trim() + (m == null ? "" : bracketHint(text, m.getLine())))));
        } catch (YAMLException e) {
            throw new ConfigException(List.of(new ConfigError(source, 0, 0, "", "not valid YAML: " + e.getMessage())));
        }
        if (root == null) {
            throw new ConfigException(List.of(new ConfigError(source, 0, 0, "", "the document is empty")));
        }
        ConfigBinder binder = new ConfigBinder(source);
        GatewayConfig config = binder.bind(root, GatewayConfig.class);
        if (config == null) {
            throw new ConfigException(binder.errors());
        }
        return new ConfigSnapshot(config, source, generation, sha256(text), binder.positions());
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
