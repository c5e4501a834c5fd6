package fastifyoutbox.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/** application/json: one JSON object with the snake_case field names of ENVELOPE.md. */
final class JsonEnvelopeDecoder implements EnvelopeDecoder {
  private final ObjectMapper json = new ObjectMapper();

  @Override
  public DecodedEnvelope decode(String topic, byte[] bytes, String contentType) throws Exception {
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
