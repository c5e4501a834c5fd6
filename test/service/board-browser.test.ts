import { copyFileSync, mkdirSync } from 'node:fs'
import { sql } from 'drizzle-orm'
import { outboxBoard } from 'fastify-outbox/board'
import { chromium, type Page } from 'playwright-core'
import t from 'tap'
import { outbox as outboxTable, PulsarBus } from '../support/library.js'
import { queryRows } from '../../plugin/database/database.js'
import { buildOrderService, SERVICE_NAME } from '../../service/app.js'
import { seedStock } from '../../service/seed.js'
import { freshDatabase } from '../support/databases.js'
import { apple, placeOrder, waitForSettled } from '../support/order-service.js'
import { driverUnderTest } from '../support/pulsar-driver.js'
import { testPulsarInstance } from '../support/pulsar-instance.js'
import { waitFor } from '../support/wait.js'

/**
 * The board in a real browser (Debian's headless Chromium driven by playwright-core), on the
 * demo service over a Pulsar broker of this test's own: the counts follow the orders, the backlog
 * grows while the broker is stopped, and the replay button sends a failed row again. A screenshot
 * of the run is kept in .screenshots/ (git-ignored).
 */

t.setTimeout(600_000)

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const TOKEN = 'board-test-token-0123456789'

async function figure (page: Page, id: string): Promise<number> {
  return Number(await page.locator(`#${id}`).textContent())
}

t.test('the board follows orders, a broker outage and a replay', async (t) => {
  const broker = await testPulsarInstance(t, { name: 'board' })
  const database = await freshDatabase(t, 'postgres', { orderService: true })
  await seedStock(database.db)
  const bus = new PulsarBus({ serviceUrl: broker.serviceUrl, webServiceUrl: broker.webUrl, driver: driverUnderTest, source: SERVICE_NAME, connectTimeoutMs: 3000, sendTimeoutMs: 5000, retryDelayMs: 100 })
  const app = await buildOrderService({ db: database.db, bus, projector: { pollIntervalMs: 200, retryBaseDelayMs: 100 } })
  await app.register(outboxBoard, { token: TOKEN, sampleIntervalMs: 1000 })
  t.teardown(() => app.close())
  const url = await app.listen({ port: 0, host: '127.0.0.1' })

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage()

  t.equal((await page.goto(`${url}/outbox/`))?.status(), 401, 'without the token the page is refused')
  await page.goto(`${url}/outbox/?token=${TOKEN}`)
  await page.waitForSelector('#updated:has-text("updated")')
  t.equal(await figure(page, 'pending'), 0, 'nothing pending at first')

  for (let i = 0; i < 3; i++) t.equal(await waitForSettled(app, await placeOrder(app, [apple()]), 30_000), 'confirmed')
  await waitFor(async () => await figure(page, 'published') >= 9, 'the page to count the published rows', 15_000)
  t.ok(await figure(page, 'published') >= 9, 'three orders: nine rows published, as the page shows')

  await broker.stop({ keepData: true })
  for (let i = 0; i < 4; i++) await placeOrder(app, [apple()])
  await waitFor(async () => await figure(page, 'pending') >= 4, 'the page to show the backlog', 15_000)
  t.ok(await figure(page, 'pending') >= 4, 'the backlog grows on the page while the broker is away')
  await broker.start()
  await waitFor(async () => await figure(page, 'pending') === 0, 'the backlog to drain on the page', 120_000)
  t.equal(await figure(page, 'pending'), 0, 'and drains once it is back')

  // A row that used up its attempts: it shows up with a replay button.
  const [row] = await queryRows<{ id: string }>(database.db, sql`select id from ${outboxTable} where event_type = 'order.OrderCreated' order by id limit 1`)
  await database.db.execute(sql`update ${outboxTable} set status = 'failed', attempts = 10, last_error = 'broker said no', published_at = null where id = ${Number(row!.id)}`)
  const button = page.locator(`button[data-row="${Number(row!.id)}"]`)
  await button.waitFor({ timeout: 15_000 })
  t.equal(await figure(page, 'failed'), 1, 'the failed row is counted')
  mkdirSync('.screenshots', { recursive: true })
  await page.screenshot({ path: '.screenshots/board.png', fullPage: true })
  await button.click()
  const statusOf = async (): Promise<string | undefined> => (await queryRows<{ status: string }>(database.db, sql`select status from ${outboxTable} where id = ${Number(row!.id)}`))[0]?.status
  await waitFor(async () => await statusOf() === 'published', 'the replayed row to be published', 30_000)
  t.equal(await statusOf(), 'published', 'replay sent the row again and it was published')
  await waitFor(async () => await figure(page, 'failed') === 0, 'the page to show no failed row', 15_000)
  t.equal(await page.locator('#failed-rows tbody tr').count(), 0, 'and the row left the failed table')
  if (process.env.BOARD_SCREENSHOT_TO !== undefined) copyFileSync('.screenshots/board.png', process.env.BOARD_SCREENSHOT_TO)
})
