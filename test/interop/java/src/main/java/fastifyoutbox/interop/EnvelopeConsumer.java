package fastifyoutbox.interop;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;

/**
 * Reads --count messages from the given topics (from the earliest, on a subscription of its own),
 * decodes each by its content_type property (Avro with the writer schema from Pulsar's schema
 * registry), checks it against ENVELOPE.md and prints one JSON
 * line per message: the topic, key, properties and envelope. Exits 1 when a message breaks a
 * rule (each broken rule on stderr), 2 when fewer than --count messages arrived in time.
 *
 *   java -cp classes:lib/* fastifyoutbox.interop.EnvelopeConsumer --service-url pulsar://127.0.0.1:6650
 *     --web-url http://127.0.0.1:8080 --topic persistent://public/default/order-events --count 4
 */
public final class EnvelopeConsumer {
  public static void main(String[] args) throws Exception {
    Map<String, List<String>> options = options(args);
    String serviceUrl = single(options, "service-url");
    List<String> topics = options.getOrDefault("topic", List.of());
    int count = Integer.parseInt(single(options, "count"));
    long timeoutMs = Long.parseLong(options.getOrDefault("timeout-seconds", List.of("30")).get(0)) * 1000;
    if (topics.isEmpty()) throw new IllegalArgumentException("give at least one --topic");

    RegistrySchemas registry = new RegistrySchemas(single(options, "web-url"));
    Map<String, EnvelopeDecoder> decoders = Map.of(
        "application/json", new JsonEnvelopeDecoder(registry),
        "application/avro", new AvroEnvelopeDecoder(registry));
    ObjectMapper json = new ObjectMapper();
    int broken = 0;
    int read = 0;
    try (PulsarClient client = PulsarClient.builder().serviceUrl(serviceUrl).build();
         Consumer<byte[]> consumer = client.newConsumer(Schema.BYTES)
             .topics(topics)
             .subscriptionName("java-envelope-consumer-" + System.nanoTime())
             .subscriptionType(SubscriptionType.Exclusive)
             .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
             .subscribe()) {
      long deadline = System.currentTimeMillis() + timeoutMs;
      while (read < count) {
        long left = deadline - System.currentTimeMillis();
        Message<byte[]> message = left <= 0 ? null : consumer.receive((int) left, TimeUnit.MILLISECONDS);
        if (message == null) {
          System.err.printf(Locale.ROOT, "timed out: %d of %d messages arrived%n", read, count);
          System.exit(2);
        }
        read++;
        List<String> problems = new ArrayList<>();
        String contentType = message.getProperty("content_type");
        // No content_type: a producer older than the property, which could only write JSON.
        String mediaType = contentType == null ? "application/json" : contentType.split(";")[0].trim();
        EnvelopeDecoder decoder = decoders.get(mediaType);
        DecodedEnvelope envelope = null;
        String key = message.hasKey() ? message.getKey() : null;
        if (decoder == null) {
          problems.add("no decoder for content_type " + contentType);
        } else {
          try {
            envelope = decoder.decode(message.getTopicName(), message.getData(), contentType);
            problems.addAll(EnvelopeCheck.problems(envelope, message.getProperties(), key));
          } catch (Exception e) {
            problems.add("cannot decode: " + e);
          }
        }
        for (String problem : problems) System.err.printf("%s %s: %s%n", message.getTopicName(), message.getMessageId(), problem);
        if (!problems.isEmpty()) broken++;
        System.out.println(json.writeValueAsString(line(json, message, key, envelope)));
        consumer.acknowledge(message);
      }
    }
    System.exit(broken == 0 ? 0 : 1);
  }

  private static ObjectNode line(ObjectMapper json, Message<byte[]> message, String key, DecodedEnvelope envelope) {
    ObjectNode line = json.createObjectNode();
    line.put("topic", message.getTopicName());
    line.put("key", key);
    line.set("properties", json.valueToTree(message.getProperties()));
    if (envelope == null) return line;
    ObjectNode fields = line.putObject("envelope");
    fields.put("event_id", envelope.eventId());
    fields.put("event_type", envelope.eventType());
    fields.put("occurred_at", envelope.occurredAt());
    fields.put("source", envelope.source());
    fields.put("correlation_id", envelope.correlationId());
    fields.put("causation_id", envelope.causationId());
    fields.put("version", envelope.version());
    fields.put("partition_key", envelope.partitionKey());
    fields.set("headers", json.valueToTree(envelope.headers()));
    fields.set("payload", envelope.payload());
    return line;
  }

  private static Map<String, List<String>> options(String[] args) {
    Map<String, List<String>> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      options.computeIfAbsent(args[i].substring(2), name -> new ArrayList<>()).add(args[i + 1]);
    }
    return options;
  }

  private static String single(Map<String, List<String>> options, String name) {
    List<String> values = options.get(name);
    if (values == null || values.size() != 1) throw new IllegalArgumentException("give --" + name + " once");
    return values.get(0);
  }
}
