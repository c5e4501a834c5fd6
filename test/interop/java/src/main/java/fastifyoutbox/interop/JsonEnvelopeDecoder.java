package fastifyoutbox.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * application/json: one JSON object with the snake_case field names of ENVELOPE.md. When the
 * topic has schemas in Pulsar's registry, the latest must be a JSON schema describing every
 * envelope field.
 */
final class JsonEnvelopeDecoder implements EnvelopeDecoder {
  private static final List<String> FIELDS = List.of("event_id", "event_type", "occurred_at", "source", "correlation_id", "causation_id", "version", "partition_key", "headers", "payload");
  private final ObjectMapper json = new ObjectMapper();
  private final RegistrySchemas registry;

  JsonEnvelopeDecoder(RegistrySchemas registry) {
    this.registry = registry;
  }

  @Override
  public DecodedEnvelope decode(String topic, byte[] bytes, String contentType) throws Exception {
    List<RegistrySchemas.Version> versions = registry.versions(topic);
    if (!versions.isEmpty()) {
      RegistrySchemas.Version latest = versions.get(versions.size() - 1);
      if (!latest.type().equals("JSON")) throw new IllegalArgumentException("the registry's schema for " + topic + " is " + latest.type() + ", not JSON");
      Schema schema = new Schema.Parser().parse(latest.definition());
      for (String field : FIELDS) {
        if (schema.getField(field) == null) throw new IllegalArgumentException("the registry's JSON schema has no field " + field);
      }
    }
    JsonNode root = json.readTree(bytes);
    if (root == null || !root.isObject()) throw new IllegalArgumentException("the JSON body is not an object");
    Map<String, String> headers = new LinkedHashMap<>();
    JsonNode headerNode = root.get("headers");
    if (headerNode != null && !headerNode.isNull()) {
      if (!headerNode.isObject()) throw new IllegalArgumentException("headers is not an object");
      for (Map.Entry<String, JsonNode> header : (Iterable<Map.Entry<String, JsonNode>>) headerNode::fields) {
        if (!header.getValue().isTextual()) throw new IllegalArgumentException("header " + header.getKey() + " is not a string");
        headers.put(header.getKey(), header.getValue().asText());
      }
    }
    return new DecodedEnvelope(
        text(root, "event_id"),
        text(root, "event_type"),
        text(root, "occurred_at"),
        text(root, "source"),
        text(root, "correlation_id"),
        text(root, "causation_id"),
        text(root, "version"),
        text(root, "partition_key"),
        headers,
        root.get("payload"));
  }

  /** The field as a string, null when absent or JSON null; a field of another type is an error. */
  private static String text(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) return null;
    if (!node.isTextual()) throw new IllegalArgumentException(field + " is not a string but " + node.getNodeType());
    return node.asText();
  }
}
