import type { MessageEnvelope } from '../envelope/envelope.js'

/** Turns envelopes into bytes for a transport and back. */
export interface MessageCodec {
  /** MIME type written into message properties so consumers can tell codecs apart. */
  readonly contentType: string
  encode (envelope: MessageEnvelope): Buffer
  /** Throws MalformedMessageError naming what is wrong; never returns a partial envelope. */
  decode (bytes: Uint8Array): MessageEnvelope
}
