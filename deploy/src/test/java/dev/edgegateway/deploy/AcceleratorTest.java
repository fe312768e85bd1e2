package dev.edgegateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.edgegateway.config.DeployConfig;
import java.io.InputStream;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The accelerator templates: every CloudFormation resource's properties validate against the
 * AWS resource provider schema of its type (vendored from ../shared/schemas/cloudformation),
 * with intrinsic functions standing in for the strings they resolve to; read-only properties
 * are never set; the interval rule the schemas leave out (10 or 30) holds; and the Terraform
 * says the same as the CloudFormation.
 */
class AcceleratorTest {
    static final Map<String, String> SCHEMAS = Map.of(
            "AWS::GlobalAccelerator::Accelerator", "aws-globalaccelerator-accelerator.json",
            "AWS::GlobalAccelerator::Listener", "aws-globalaccelerator-listener.json",
            "AWS::GlobalAccelerator::EndpointGroup", "aws-globalaccelerator-endpointgroup.json");

    static List<Inputs.Input> inputs() {
        return Inputs.all();
    }

    static JsonNode schemaJson(String type) throws Exception {
        try (InputStream in = AcceleratorTest.class.getResourceAsStream("/schemas/" + SCHEMAS.get(type))) {
            return Serialization.jsonMapper().readTree(in);
        }
    }

    /** {"Fn::GetAtt": [...]} and {"Ref": ...} become the (string) ARN they resolve to. */
    static JsonNode resolveIntrinsics(JsonNode n) {
        if (n.isObject()) {
            if (n.size() == 1 && (n.has("Ref") || n.fieldNames().next().startsWith("Fn::"))) {
                return TextNode.valueOf("arn:aws:globalaccelerator::123456789012:accelerator/placeholder");
            }
            ObjectNode copy = Serialization.jsonMapper().createObjectNode();
            n.fields().forEachRemaining(e -> copy.set(e.getKey(), resolveIntrinsics(e.getValue())));
            return copy;
        }
        if (n.isArray()) {
            var copy = Serialization.jsonMapper().createArrayNode();
            n.forEach(x -> copy.add(resolveIntrinsics(x)));
            return copy;
        }
        return n;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void cloudFormationValidatesAgainstTheResourceSchemas(Inputs.Input input) throws Exception {
        var files = Generator.generate(input.config(), input.text());
        JsonNode template = Serialization.jsonMapper().readTree(files.get("accelerator/cloudformation.json"));
        DeployConfig d = input.config().deploy();
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7);
        int groups = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = template.get("Resources").fields(); it.hasNext(); ) {
            var e = it.next();
            String type = e.getValue().get("Type").asText();
            assertThat(SCHEMAS).as(e.getKey() + " type").containsKey(type);
            JsonNode schemaJson = schemaJson(type);
            // The provider schemas use their own meta keywords; validate with draft 7 semantics.
            ObjectNode schemaCopy = (ObjectNode) schemaJson.deepCopy();
            schemaCopy.remove("$schema");
            JsonSchema schema = factory.getSchema(schemaCopy);
            JsonNode props = resolveIntrinsics(e.getValue().get("Properties"));
            Set<ValidationMessage> errors = schema.validate(props);
            assertThat(errors).as(e.getKey() + " against " + SCHEMAS.get(type)).isEmpty();
            Set<String> readOnly = new HashSet<>();
            schemaJson.path("readOnlyProperties").forEach(p -> readOnly.add(p.asText().replace("/properties/", "")));
            e.getValue().get("Properties").fieldNames().forEachRemaining(name ->
                    assertThat(readOnly).as(e.getKey() + " sets a read-only property").doesNotContain(name));
            if (type.endsWith("EndpointGroup")) {
                groups++;
                JsonNode p = e.getValue().get("Properties");
                // The interval rule the schema does not encode.
                assertThat(p.get("HealthCheckIntervalSeconds").asInt()).isIn(10, 30);
                assertThat(p.get("HealthCheckPath").asText()).isEqualTo("/ready");
                assertThat(p.get("HealthCheckProtocol").asText()).isEqualTo("HTTP");
                DeployConfig.Region r = d.regions().stream().filter(x -> x.name().equals(p.get("EndpointGroupRegion").asText())).findFirst().orElseThrow();
                assertThat(p.get("TrafficDialPercentage").asInt()).isEqualTo(r.trafficDial());
                JsonNode endpoint = p.get("EndpointConfigurations").get(0);
                assertThat(endpoint.get("EndpointId").asText()).isEqualTo(r.nlbArn());
                assertThat(endpoint.get("Weight").asInt()).isEqualTo(r.weight());
                assertThat(endpoint.has("ClientIPPreservationEnabled")).as("client IP preservation stated explicitly").isTrue();
            }
            if (type.endsWith("Listener")) {
                boolean sticky = input.config().routes().stream().anyMatch(r -> r.sticky() != null);
                assertThat(e.getValue().get("Properties").get("ClientAffinity").asText()).isEqualTo(sticky ? "SOURCE_IP" : "NONE");
            }
        }
        assertThat(groups).isEqualTo(d.regions().size());

        // Terraform: the same accelerator.
        JsonNode tf = Serialization.jsonMapper().readTree(files.get("accelerator/terraform/main.tf.json"));
        JsonNode tfGroups = tf.get("resource").get("aws_globalaccelerator_endpoint_group");
        assertThat(tfGroups.size()).isEqualTo(d.regions().size());
        for (DeployConfig.Region r : d.regions()) {
            JsonNode g = tfGroups.get(AcceleratorGenerator.tfName(r.name()));
            assertThat(g.get("traffic_dial_percentage").asInt()).isEqualTo(r.trafficDial());
            assertThat(g.get("health_check_interval_seconds").asInt()).isIn(10, 30);
            assertThat(g.get("endpoint_configuration").get(0).get("client_ip_preservation_enabled").isBoolean()).isTrue();
            assertThat(g.get("endpoint_configuration").get(0).get("endpoint_id").asText()).isEqualTo(r.nlbArn());
        }
        assertThat(tf.get("resource").get("aws_globalaccelerator_listener").get("edge").get("client_affinity").asText())
                .isEqualTo(template.get("Resources").get("Listener").get("Properties").get("ClientAffinity").asText());
    }
}
