/**
 * `{domain}.{EventName}`: a lower-case domain (dots allowed for sub-domains, e.g. `billing.invoice`)
 * and a PascalCase event name. Pulsar topic names allow these characters as they are.
 */
const eventNamePattern = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*\.[A-Z][A-Za-z0-9]*$/

export const MAX_EVENT_NAME_LENGTH = 200

export function isEventName (name: string): boolean {
  return name.length <= MAX_EVENT_NAME_LENGTH && eventNamePattern.test(name)
}
