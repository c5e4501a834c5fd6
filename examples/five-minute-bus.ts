// The messaging guide's five-minute example: a bus on Pulsar, one event, publish and subscribe.
// Run it with a broker up: PULSAR_URL=pulsar://localhost:6650 npx tsx examples/five-minute-bus.ts
import { Type } from '@sinclair/typebox'
import { defineEvent } from 'fastify-outbox'
import { pulsarConfigFromEnv, PulsarBus } from 'fastify-outbox/pulsar'

const UserRegistered = defineEvent('user.UserRegistered', Type.Object({
  userId: Type.String(),
  email: Type.String({ format: 'email' })
}))

const bus = new PulsarBus({ ...pulsarConfigFromEnv(), source: 'user-service' })

const received = new Promise<string>((resolve) => {
  void bus.subscribe(UserRegistered, async (event) => {
    console.log(`${event.eventType} ${event.payload.email} (event ${event.eventId})`)
    resolve(event.payload.userId)
  })
})
await bus.start()
// The payload is checked against the schema; the envelope is stamped with the bus's source.
await bus.publish(UserRegistered.create({ userId: 'u-1', email: 'ada@example.com' }))
await received
await bus.stop()
