package fastifyoutbox.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Every version of a topic's schema in Pulsar's schema registry, read through the admin REST API
 * (GET /admin/v2/schemas/{tenant}/{namespace}/{topic}/schemas): what a consumer in any language
 * can fetch to decode a topic's messages without our code.
 */
final class RegistrySchemas {
  record Version(long version, String type, String definition) {}

  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private final String webUrl;

  RegistrySchemas(String webUrl) {
    this.webUrl = webUrl.replaceAll("/+$", "");
  }

  /** The versions of a topic given as persistent://tenant/namespace/topic, oldest first. */
  List<Version> versions(String topic) throws Exception {
    String[] parts = topic.substring(topic.indexOf("://") + 3).split("/", 3);
    String path = "/admin/v2/schemas/" + encode(parts[0]) + "/" + encode(parts[1]) + "/" + encode(parts[2]) + "/schemas";
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(webUrl + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) throw new IllegalStateException("GET " + path + " answered " + response.statusCode() + ": " + response.body());
    List<Version> versions = new ArrayList<>();
    for (JsonNode schema : json.readTree(response.body()).path("getSchemaResponses")) {
      versions.add(new Version(schema.path("version").asLong(), schema.path("type").asText(), schema.path("data").asText()));
    }
    return versions;
  }

  private static String encode(String part) {
    return URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
