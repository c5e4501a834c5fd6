package fastifyoutbox.interop;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The rules of ENVELOPE.md for one message, checked from what a consumer in another language
 * sees: the decoded envelope, the message properties and the message key. Returns the broken
 * rules, empty when the message conforms.
 */
final class EnvelopeCheck {
  private static final Pattern EVENT_NAME = Pattern.compile("^[a-z][a-z0-9_-]*(\\.[a-z][a-z0-9_-]*)*\\.[A-Z][A-Za-z0-9]*$");
  private static final int MAX_ID_LENGTH = 200;

  private EnvelopeCheck() {}

  static List<String> problems(DecodedEnvelope envelope, Map<String, String> properties, String key) {
    List<String> problems = new ArrayList<>();
    required(problems, "event_id", envelope.eventId());
    required(problems, "source", envelope.source());
    required(problems, "version", envelope.version());
    optional(problems, "correlation_id", envelope.correlationId());
    optional(problems, "causation_id", envelope.causationId());
    optional(problems, "partition_key", envelope.partitionKey());
    if (envelope.eventType() == null || envelope.eventType().length() > MAX_ID_LENGTH || !EVENT_NAME.matcher(envelope.eventType()).matches()) {
      problems.add("event_type " + envelope.eventType() + " is not a {domain}.{EventName} name");
    }
    try {
      OffsetDateTime.parse(Objects.requireNonNullElse(envelope.occurredAt(), ""));
    } catch (DateTimeParseException e) {
      problems.add("occurred_at " + envelope.occurredAt() + " is not an RFC 3339 date-time");
    }
    if (envelope.payload() == null || envelope.payload().isNull() || envelope.payload().isMissingNode()) {
      problems.add("payload is missing");
    }
    // The properties repeat the envelope's ids, so that a consumer can route and deduplicate without decoding.
    same(problems, properties, "event_id", envelope.eventId());
    same(problems, properties, "event_type", envelope.eventType());
    same(problems, properties, "correlation_id", envelope.correlationId());
    same(problems, properties, "causation_id", envelope.causationId());
    same(problems, properties, "traceparent", envelope.headers().get("traceparent"));
    same(problems, properties, "tracestate", envelope.headers().get("tracestate"));
    if (!properties.containsKey("content_type")) problems.add("property content_type is missing");
    if (!Objects.equals(key, envelope.partitionKey())) {
      problems.add("message key " + key + " differs from partition_key " + envelope.partitionKey());
    }
    return problems;
  }

  private static void required(List<String> problems, String field, String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_ID_LENGTH) {
      problems.add(field + " must be a non-empty string of at most " + MAX_ID_LENGTH + " characters, got " + value);
    }
  }

  private static void optional(List<String> problems, String field, String value) {
    if (value != null && (value.isEmpty() || value.length() > MAX_ID_LENGTH)) {
      problems.add(field + " must be absent or a non-empty string of at most " + MAX_ID_LENGTH + " characters, got " + value);
    }
  }

  /** A property present exactly when the field has a value, and equal to it. */
  private static void same(List<String> problems, Map<String, String> properties, String name, String expected) {
    String actual = properties.get(name);
    if (!Objects.equals(actual, expected)) {
      problems.add("property " + name + " is " + actual + " but the envelope says " + expected);
    }
  }
}
