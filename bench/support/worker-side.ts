import type { WorkerMessage } from './worker-process.js'

/** The worker's end of the IPC channel: exit when the runner goes away, answer its requests. */
export function workerChannel (): { send (message: WorkerMessage): Promise<void>, on (type: string, handler: (message: WorkerMessage) => void | Promise<void>): void } {
  if (process.send === undefined) throw new Error('bench workers run under the bench runner (npm run bench), not on their own')
  process.on('disconnect', () => process.exit(0))
  const handlers = new Map<string, (message: WorkerMessage) => void | Promise<void>>()
  process.on('message', (message: WorkerMessage) => {
    const handler = handlers.get(message.type)
    if (handler === undefined) return
    Promise.resolve(handler(message)).catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
      process.exit(1)
    })
  })
  return {
    send: async (message) => { await new Promise<void>((resolve, reject) => process.send!(message, undefined, undefined, (err) => err === null ? resolve() : reject(err))) },
    on: (type, handler) => { handlers.set(type, handler) }
  }
}
