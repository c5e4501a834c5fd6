import { Type } from '@sinclair/typebox'
import { defineEvent } from './library.js'

/** Events the library tests emit: one keyed by account, one without a key. */
export const AccountCredited = defineEvent('ledger.AccountCredited', Type.Object({
  account: Type.String({ minLength: 1 }),
  seq: Type.Integer({ minimum: 0 }),
  amount: Type.Integer()
}), { partitionKey: (p) => p.account })

export const PingSent = defineEvent('test.PingSent', Type.Object({ n: Type.Integer() }))
