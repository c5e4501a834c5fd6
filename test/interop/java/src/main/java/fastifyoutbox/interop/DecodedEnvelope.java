package fastifyoutbox.interop;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * An envelope as ENVELOPE.md defines it, read from one message by a decoder. Optional fields are
 * null when the message has none; the payload is kept as a JSON tree whatever the codec, so that
 * the test can compare it with what was published.
 */
record DecodedEnvelope(
    String eventId,
    String eventType,
    String occurredAt,
    String source,
    String correlationId,
    String causationId,
    String version,
    String partitionKey,
    Map<String, String> headers,
    JsonNode payload) {
}
