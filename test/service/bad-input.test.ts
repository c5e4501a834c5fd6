import t from 'tap'
import { freshDatabase } from '../support/databases.js'
import { apple, startOrderService } from '../support/order-service.js'

t.test('bad requests get 400 with a readable message, and write nothing', async (t) => {
  const database = await freshDatabase(t, 'pglite', { orderService: true })
  const app = await startOrderService(t, database.db)
  const post = async (payload: string, contentType = 'application/json'): Promise<{ statusCode: number, body: { message: string } }> => {
    const response = await app.inject({ method: 'POST', url: '/orders', payload, headers: { 'content-type': contentType } })
    return { statusCode: response.statusCode, body: response.json() }
  }
  const cases: Array<[string, string, number, RegExp]> = [
    ['invalid JSON', '{"customerId": "c1", "items": [', 400, /not valid JSON/],
    ['not an object', '[1,2,3]', 400, /body must be object/],
    ['no customer', JSON.stringify({ items: [apple()] }), 400, /must have required property 'customerId'/],
    ['no items', JSON.stringify({ customerId: 'c1', items: [] }), 400, /body\/items must NOT have fewer than 1 items/],
    ['zero quantity', JSON.stringify({ customerId: 'c1', items: [{ ...apple(), quantity: 0 }] }), 400, /quantity must be >= 1/],
    ['fractional price', JSON.stringify({ customerId: 'c1', items: [{ ...apple(), unitPrice: 1.5 }] }), 400, /unitPrice must be integer/],
    ['text quantity', JSON.stringify({ customerId: 'c1', items: [{ ...apple(), quantity: 'two' }] }), 400, /quantity must be integer/],
    ['bad sku', JSON.stringify({ customerId: 'c1', items: [{ ...apple(), sku: 'drop table;' }] }), 400, /sku must match pattern/],
    ['unknown field', JSON.stringify({ customerId: 'c1', items: [apple()], discount: 100 }), 400, /must NOT have additional properties/],
    ['wrong content type', 'customerId=c1', 415, /Unsupported Media Type/]
  ]
  for (const [name, payload, status, message] of cases) {
    const response = await post(payload, name === 'wrong content type' ? 'application/x-www-form-urlencoded' : 'application/json')
    t.equal(response.statusCode, status, `${name}: status`)
    t.match(response.body.message, message, `${name}: message`)
  }
  t.same(await app.outbox.backlog(), { pending: 0, failed: 0, oldestPendingMs: null }, 'no event was written')
})

t.test('an oversized body is refused with 413 before it is parsed', async (t) => {
  const database = await freshDatabase(t, 'pglite', { orderService: true })
  const app = await startOrderService(t, database.db)
  const items = Array.from({ length: 100 }, () => ({ ...apple(), sku: 'x'.repeat(64) }))
  const payload = JSON.stringify({ customerId: 'c'.repeat(100), items, padding: 'p'.repeat(70_000) })
  const response = await app.inject({ method: 'POST', url: '/orders', payload, headers: { 'content-type': 'application/json' } })
  t.equal(response.statusCode, 413)
  t.match(response.json(), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' })
})

t.test('order lookups check the id and say when there is no such order', async (t) => {
  const database = await freshDatabase(t, 'pglite', { orderService: true })
  const app = await startOrderService(t, database.db)
  const bad = await app.inject('/orders/not-a-uuid')
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { message: /params\/id must match format "uuid"/ })
  const missing = await app.inject('/orders/01a217e1-dbed-72c0-a5ec-564116591b2a')
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { message: 'No order 01a217e1-dbed-72c0-a5ec-564116591b2a' })
})

t.test('cancel checks the order id and refuses a body that is not JSON, writing nothing', async (t) => {
  const database = await freshDatabase(t, 'pglite', { orderService: true })
  const app = await startOrderService(t, database.db)
  const badId = await app.inject({ method: 'POST', url: '/orders/drop%20table/cancel' })
  t.equal(badId.statusCode, 400)
  t.match(badId.json(), { message: /params\/id must match format "uuid"/ })
  const badBody = await app.inject({
    method: 'POST',
    url: '/orders/01a217e1-dbed-72c0-a5ec-564116591b2a/cancel',
    payload: '{"reason": ',
    headers: { 'content-type': 'application/json' }
  })
  t.equal(badBody.statusCode, 400)
  t.match(badBody.json(), { message: /not valid JSON/ })
  t.same(await app.outbox.backlog(), { pending: 0, failed: 0, oldestPendingMs: null }, 'no event was written')
})
