import { PGlite } from '@electric-sql/pglite'
import { drizzle, type PgliteDatabase } from 'drizzle-orm/pglite'
import { migrate } from 'drizzle-orm/pglite/migrator'
import type { DatabaseHandle } from './handle.js'

export interface EmbeddedOptions {
  /** Folder to keep the data in; default in memory (gone when the process ends). */
  dataDir?: string
}

/**
 * PostgreSQL in process (PGlite, WebAssembly): the embedded default, for demos and tests that
 * need no server. One connection: transactions run one at a time.
 */
export async function openEmbedded (options: EmbeddedOptions = {}): Promise<DatabaseHandle<PgliteDatabase>> {
  const client = options.dataDir === undefined ? new PGlite() : new PGlite(options.dataDir)
  await client.waitReady
  const db = drizzle(client)
  return {
    db,
    kind: 'pglite',
    description: options.dataDir === undefined ? 'pglite (in memory)' : `pglite (${options.dataDir})`,
    async migrate (migrations) {
      await migrate(db, migrations)
    },
    async close () {
      await client.close()
    }
  }
}

export type { DatabaseHandle } from './handle.js'
