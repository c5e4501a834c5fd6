/**
 * fastify-outbox/cloudevents: envelopes as CloudEvents 1.0, structured or binary mode
 * (ENVELOPE.md section 3.3). No dependency.
 */
export { CLOUDEVENTS_MEDIA_TYPE, CLOUDEVENTS_PROPERTY_PREFIX, CloudEventsCodec, type CloudEventsCodecOptions, type CloudEventsMode } from './cloudevents-codec.js'
export { attributesOf as cloudEventAttributesOf } from './attributes.js'
