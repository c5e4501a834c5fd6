import { timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { InvalidOptionsError } from '../errors.js'

/** Who may use the board: a shared token, or your own check (a session, an SSO header, ...). */
export type BoardAuthorization =
  | { readonly token: string }
  | { readonly authorize: (request: FastifyRequest) => boolean | Promise<boolean> }

/**
 * The board's gate, required: the board shows event payload metadata and can replay rows, so it
 * is never open by default. A token is taken from `Authorization: Bearer …` or, for the page
 * opened in a browser, from `?token=…` (the page then sends it as a header).
 */
export function boardGate (access: BoardAuthorization | undefined): (request: FastifyRequest) => Promise<boolean> {
  if (access !== undefined && 'authorize' in access && typeof access.authorize === 'function') {
    return async (request) => await access.authorize(request) === true
  }
  if (access === undefined || !('token' in access) || typeof access.token !== 'string' || access.token.length < 16) {
    throw new InvalidOptionsError('the outbox board needs { token } (at least 16 characters) or { authorize: (request) => boolean }: it is never open without one')
  }
  const expected = Buffer.from(access.token)
  return async (request) => {
    const header = request.headers.authorization
    const given = header?.startsWith('Bearer ') === true ? header.slice(7) : (request.query as { token?: unknown } | undefined)?.token
    if (typeof given !== 'string') return false
    const candidate = Buffer.from(given)
    return candidate.length === expected.length && timingSafeEqual(candidate, expected)
  }
}
