package fastifyoutbox.interop;

/** Turns a message's bytes into an envelope; one implementation per content type of ENVELOPE.md. */
interface EnvelopeDecoder {
  /** Throws IllegalArgumentException naming what is wrong with the bytes. */
  DecodedEnvelope decode(String topic, byte[] bytes, String contentType) throws Exception;
}
