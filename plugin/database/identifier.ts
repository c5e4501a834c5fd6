import { InvalidIdentifierError } from '../errors.js'

/** Plain, unquoted-safe PostgreSQL identifiers only: no quoting games, nothing to inject. */
const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

export function assertIdentifier (name: string, what: string): string {
  if (typeof name !== 'string' || !identifierPattern.test(name)) throw new InvalidIdentifierError(JSON.stringify(name), what)
  return name
}
