/** Stops listening. */
export type Unlisten = () => Promise<void>

export interface ListenHandlers {
  /** A notification arrived on the channel. */
  onNotify (): void
  /**
   * The listening connection is (re)established. Notifications sent while it was down are lost,
   * so the caller should look for work then.
   */
  onListen (): void
  /** The listening connection was lost, or could not be made again; it is retried meanwhile. */
  onConnectionError (err: unknown): void
}

/** LISTEN on `channel` through the driver; resolves once listening. */
export type Listen = (channel: string, handlers: ListenHandlers) => Promise<Unlisten>

export interface PostgresJsClient {
  listen (channel: string, onNotify: (payload: string) => void, onListen?: () => void): Promise<{ unlisten (): Promise<void> }>
}

export interface PGliteClient {
  listen (channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>
}

/** postgres-js keeps a dedicated connection for LISTEN and issues it again after reconnecting (calling onListen each time). */
export async function listenOnPostgresJs (client: PostgresJsClient, channel: string, handlers: ListenHandlers): Promise<Unlisten> {
  const request = await client.listen(channel, () => handlers.onNotify(), () => handlers.onListen())
  return async () => { await request.unlisten() }
}

/** PGlite runs in this process: notifications are delivered in process, and never lost to a connection. */
export async function listenOnPGlite (client: PGliteClient, channel: string, handlers: ListenHandlers): Promise<Unlisten> {
  const unlisten = await client.listen(channel, () => handlers.onNotify())
  handlers.onListen()
  return async () => { await unlisten() }
}
