package dev.edgegateway.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.StringReader;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * The document the gateway pods run: the config text with its {@code deploy} section cut out,
 * everything else (comments, order, quoting) as the operator wrote it. The deploy section is the
 * sidecar's business; left in, a traffic-dial change for one region would rewrite every region's
 * ConfigMap and reload every gateway in every cluster.
 */
final class GatewayDocument {
    private GatewayDocument() {}

    static String withoutDeploy(String text) {
        Node root = new Yaml(new LoaderOptions()).compose(new StringReader(text));
        if (!(root instanceof MappingNode mapping)) {
            return text;
        }
        for (NodeTuple t : mapping.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals("deploy")) {
                int from = lineStart(text, t.getKeyNode().getStartMark().getIndex());
                int to = t.getValueNode().getEndMark().getIndex();
                // A block value ends where the next key's line starts; a flow one at its last brace: take the line end too.
                if (to < text.length() && text.charAt(to - 1) != '\n') {
                    int nl = text.indexOf('\n', to);
                    to = nl < 0 ? text.length() : nl + 1;
                }
                to = keepTrailingComments(text, from, to);
                String cut = text.substring(0, from) + text.substring(to);
                return sameOtherwise(text, cut) ? cut : rewritten(text);
            }
        }
        return text;
    }

    /** A block value runs up to the next key: comment lines and blank lines before that key belong to what follows. */
    private static int keepTrailingComments(String text, int from, int to) {
        int end = to;
        while (end > from) {
            int start = lineStart(text, end - 1);
            String line = text.substring(start, end).strip();
            if (start <= from || !(line.isEmpty() || text.charAt(start) == '#')) {
                break;
            }
            end = start;
        }
        return end;
    }

    private static int lineStart(String text, int index) {
        int nl = text.lastIndexOf('\n', index - 1);
        return nl + 1;
    }

    /** The cut is only taken when it reads back as the whole document less that one key (a flow-style root would not). */
    private static boolean sameOtherwise(String original, String cut) {
        try {
            JsonNode before = Serialization.yamlMapper().readTree(original);
            JsonNode after = Serialization.yamlMapper().readTree(cut);
            ((ObjectNode) before).remove("deploy");
            return before.equals(after);
        } catch (Exception e) {
            return false;
        }
    }

    /** The fallback: the document written again without the section (comments are lost, meaning is not). */
    private static String rewritten(String text) {
        try {
            ObjectNode tree = (ObjectNode) Serialization.yamlMapper().readTree(text);
            tree.remove("deploy");
            return new ObjectMapper(new YAMLFactory()).writeValueAsString(tree);
        } catch (Exception e) {
            throw new IllegalStateException("cannot write the config without its deploy section: " + e.getMessage(), e);
        }
    }
}
