import { randomBytes } from 'node:crypto'
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import type { Test } from 'tap'
import { Mailbox } from '../../support/mailbox.js'

/** The NATS server the tests run against: NATS_URL, else the machine's on 127.0.0.1:4222 (JetStream on). */
export const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

/**
 * Why the NATS tests are skipped, or false to run them. Skipped only when asked
 * (NATS_TESTS=skip); a server that does not answer, or has no JetStream, fails the file, loudly.
 */
export async function natsSkipReason (): Promise<string | false> {
  if (process.env.NATS_TESTS === 'skip') return 'NATS_TESTS=skip is set'
  let nc: NatsConnection | null = null
  try {
    nc = await connect({ servers: natsUrl, timeout: 3000, reconnect: false })
    await jetstreamManager(nc)
  } catch (err) {
    throw new Error(`The NATS tests need a server with JetStream at ${natsUrl}: ${(err as Error).message}\n` +
      'Start one with `nats-server -js -sd /var/lib/nats --addr 127.0.0.1 &` (or point NATS_URL at one), or set NATS_TESTS=skip to skip them on purpose.')
  } finally {
    await nc?.close()
  }
  return false
}

/** A plain connection, outside any bus, closed when the test ends. */
export async function plainNats (t: Test, url = natsUrl): Promise<NatsConnection> {
  const nc = await connect({ servers: url })
  t.teardown(async () => { await nc.close() })
  return nc
}

/** A message as a plain reader sees it. */
export interface RawMessage {
  readonly subject: string
  readonly data: Buffer
  readonly headers: Record<string, string>
}

/** Every message of a stream (optionally of one subject), from the first, with an ordered consumer of its own. */
export async function readNatsStream (t: Test, nc: NatsConnection, stream: string, subject?: string): Promise<Mailbox<RawMessage>> {
  const consumer = await jetstream(nc).consumers.get(stream, subject === undefined ? {} : { filter_subjects: subject })
  const messages = await consumer.consume()
  t.teardown(async () => { await messages.close() })
  const mailbox = new Mailbox<RawMessage>()
  void (async () => {
    for await (const msg of messages) mailbox.put(raw(msg))
  })()
  return mailbox
}

function raw (msg: JsMsg): RawMessage {
  const headers: Record<string, string> = {}
  for (const [name, values] of msg.headers ?? []) headers[name] = values[0] ?? ''
  return { subject: msg.subject, data: Buffer.from(msg.data), headers }
}

/** A subject and stream prefix of the test file's own (`t` the file's root test); its streams are deleted when the file ends. */
export function natsTestPrefix (t: Test, url = natsUrl): string {
  const prefix = `test_${randomBytes(4).toString('hex')}`
  t.teardown(async () => {
    const nc = await connect({ servers: url, reconnect: false })
    try {
      const jsm = await jetstreamManager(nc)
      for await (const name of jsm.streams.names()) if (name.startsWith(`${prefix}_`)) await jsm.streams.delete(name)
    } finally {
      await nc.close()
    }
  })
  return prefix
}
