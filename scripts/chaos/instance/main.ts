import { Type, type Static } from '@sinclair/typebox'
import { exitOnStartFailure, startOrderService } from '../../../service/start.js'
import { FAULT_POINTS, FaultPoints } from './fault-points.js'
import { subscribeLedger } from './ledger-consumer.js'
import { ReceiptLog } from './receipts.js'

/**
 * A demo order service instance as the chaos run starts it: the service itself (service/start.ts,
 * what `npm start` runs), plus what only the run needs, none of it in the demo: the ledger
 * consumer, the record of receipts, and the fault points, which stay off until the run arms one.
 * Settings: the service's environment, plus CHAOS_INSTANCE (a name) and CHAOS_RECEIPTS_FILE.
 */
const instance = process.env.CHAOS_INSTANCE ?? 'x'
const receiptsFile = process.env.CHAOS_RECEIPTS_FILE
if (receiptsFile === undefined) {
  console.error('CHAOS_RECEIPTS_FILE is not set: this entry is started by npm run chaos, which sets it')
  process.exit(1)
}
const faultPoints = new FaultPoints(new ReceiptLog(receiptsFile, instance))

const Arming = Type.Object({
  point: Type.Union(FAULT_POINTS.map((point) => Type.Literal(point))),
  hold: Type.Integer({ minimum: 1 }),
  holdMs: Type.Integer({ minimum: 1 })
}, { additionalProperties: false })

startOrderService({
  wrapBus: (bus) => faultPoints.wrap(bus),
  extend: async (app) => {
    await subscribeLedger(app, instance)
    app.post<{ Body: Static<typeof Arming> }>('/chaos/fault-point', { schema: { body: Arming } }, async (request, reply) => {
      faultPoints.arm(request.body)
      request.log.warn(request.body, 'chaos: fault point armed')
      return await reply.code(202).send({ armed: request.body.point })
    })
  }
}).catch(exitOnStartFailure)
