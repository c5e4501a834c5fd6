import type { OutboxDatabase } from './database.js'

/** Stops listening. */
export type Unlisten = () => Promise<void>

interface PostgresJsClient {
  listen (channel: string, onNotify: (payload: string) => void, onListen?: () => void): Promise<{ unlisten (): Promise<void> }>
  options?: unknown
}

interface PGliteClient {
  listen (channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>
  waitReady?: Promise<void>
}

/**
 * LISTEN on a channel through the driver under a Drizzle database, when the driver can:
 * postgres-js keeps a dedicated connection and re-issues LISTEN after reconnecting; PGlite
 * delivers notifications in process. Returns null for drivers without LISTEN support; the
 * projector then relies on its in-process wake-ups and polling.
 *
 * `onListen` runs each time the listening connection is (re)established: notifications sent
 * while it was down are lost, so the caller should look for work then.
 */
export async function listenForNotifications (db: OutboxDatabase, channel: string, onNotify: () => void, onListen: () => void): Promise<Unlisten | null> {
  const client = (db as { $client?: unknown }).$client
  if (client === null || typeof client !== 'object' && typeof client !== 'function') return null
  if (isPGlite(client)) {
    const unlisten = await client.listen(channel, onNotify)
    onListen()
    return async () => { await unlisten() }
  }
  if (isPostgresJs(client)) {
    const request = await client.listen(channel, onNotify, onListen)
    return async () => { await request.unlisten() }
  }
  return null
}

function isPGlite (client: unknown): client is PGliteClient {
  return typeof (client as PGliteClient).listen === 'function' && 'waitReady' in (client as object)
}

function isPostgresJs (client: unknown): client is PostgresJsClient {
  return typeof (client as PostgresJsClient).listen === 'function' && 'options' in (client as object)
}
