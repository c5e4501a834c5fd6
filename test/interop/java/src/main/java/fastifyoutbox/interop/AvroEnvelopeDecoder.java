package fastifyoutbox.interop;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;

/**
 * application/avro; fingerprint=…: plain Avro binary of the topic's schema. The writer schema is
 * the version in Pulsar's schema registry whose CRC-64-AVRO fingerprint is the one the content type
 * names; the payload is the field named after the event type (ENVELOPE.md 3.2).
 */
final class AvroEnvelopeDecoder implements EnvelopeDecoder {
  private final RegistrySchemas registry;
  private final Map<String, Schema> byFingerprint = new HashMap<>();
  private final ObjectMapper json = new ObjectMapper();

  AvroEnvelopeDecoder(RegistrySchemas registry) {
    this.registry = registry;
  }

  @Override
  public DecodedEnvelope decode(String topic, byte[] bytes, String contentType) throws Exception {
    String fingerprint = parameter(contentType, "fingerprint");
    if (fingerprint == null) throw new IllegalArgumentException("content_type " + contentType + " names no fingerprint");
    Schema writer = writerSchema(topic, fingerprint);
    GenericRecord record = new GenericDatumReader<GenericRecord>(writer).read(null, DecoderFactory.get().binaryDecoder(bytes, null));
    String eventType = text(record, "event_type");
    String payloadField = eventType == null ? "" : eventType.replaceAll("[^A-Za-z0-9]", "_");
    if (writer.getField(payloadField) == null) throw new IllegalArgumentException("the schema has no payload field " + payloadField);
    Object payload = record.get(payloadField);
    Map<String, String> headers = new LinkedHashMap<>();
    Object headerMap = record.get("headers");
    if (headerMap instanceof Map<?, ?> map) map.forEach((name, value) -> headers.put(name.toString(), value.toString()));
    return new DecodedEnvelope(
        text(record, "event_id"),
        eventType,
        text(record, "occurred_at"),
        text(record, "source"),
        text(record, "correlation_id"),
        text(record, "causation_id"),
        text(record, "version"),
        text(record, "partition_key"),
        headers,
        payload == null ? null : json.readTree(GenericData.get().toString(payload)));
  }

  /** The registry's version of the topic's schema with this fingerprint; asks the registry again when it is new. */
  private Schema writerSchema(String topic, String fingerprint) throws Exception {
    Schema known = byFingerprint.get(fingerprint);
    if (known != null) return known;
    for (RegistrySchemas.Version version : registry.versions(topic)) {
      if (!version.type().equals("AVRO")) continue;
      Schema schema = new Schema.Parser().parse(version.definition());
      byFingerprint.put(String.format("%016x", SchemaNormalization.parsingFingerprint64(schema)), schema);
    }
    known = byFingerprint.get(fingerprint);
    if (known == null) throw new IllegalArgumentException("no AVRO schema with fingerprint " + fingerprint + " in the registry for " + topic);
    return known;
  }

  private static String text(GenericRecord record, String field) {
    Object value = record.get(field);
    return value == null ? null : value.toString();
  }

  private static String parameter(String contentType, String name) {
    for (String part : contentType.split(";")) {
      String[] pair = part.trim().split("=", 2);
      if (pair.length == 2 && pair[0].trim().equalsIgnoreCase(name)) return pair[1].trim();
    }
    return null;
  }
}
