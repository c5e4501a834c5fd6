/**
 * The board's one page: plain HTML and a script that polls the JSON routes every 2 s. The token
 * it was opened with (`?token=`) is sent as a bearer header; with an authorize check instead, the
 * browser's own credentials (cookies) go along.
 */
export const BOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Outbox board</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
  .figures { display: flex; gap: 1rem; flex-wrap: wrap; }
  .figure { border: 1px solid #ccc; border-radius: 6px; padding: .6rem 1rem; min-width: 9rem; }
  .figure b { display: block; font-size: 1.6rem; }
  table { border-collapse: collapse; }
  td, th { border-bottom: 1px solid #ddd; padding: .25rem .6rem; text-align: left; }
  #rate { display: flex; align-items: flex-end; gap: 2px; height: 80px; border-bottom: 1px solid #999; }
  #rate div { width: 8px; background: #4a7; }
  .muted { color: #777; }
</style>
</head>
<body>
<h1>Outbox board <span id="bus" class="muted"></span></h1>
<div class="figures">
  <div class="figure">pending<b id="pending">–</b></div>
  <div class="figure">oldest pending<b id="oldest">–</b></div>
  <div class="figure">failed<b id="failed">–</b></div>
  <div class="figure">published (this process)<b id="published">–</b></div>
</div>
<h2>Publish rate, last 10 minutes (rows/s)</h2>
<div id="rate"></div>
<h2>Blocked keys</h2>
<table id="blocked"><thead><tr><th>key</th><th>row</th><th>event type</th><th>attempts</th><th>last error</th></tr></thead><tbody></tbody></table>
<h2>Failed rows</h2>
<table id="failed-rows"><thead><tr><th>row</th><th>event type</th><th>key</th><th>attempts</th><th>last error</th><th></th></tr></thead><tbody></tbody></table>
<h2>Dead letters</h2>
<table id="dead-letters"><thead><tr><th>topic</th><th>parked</th></tr></thead><tbody></tbody></table>
<p class="muted" id="updated"></p>
<script>
const token = new URLSearchParams(location.search).get('token')
const headers = token === null ? {} : { authorization: 'Bearer ' + token }
const base = location.pathname.replace(/\\/$/, '')
const api = (path, init) => fetch(base + '/api/' + path, { ...init, headers }).then((r) => { if (!r.ok) throw new Error(path + ': HTTP ' + r.status); return r.json() })
const cell = (text) => { const td = document.createElement('td'); td.textContent = text === null || text === undefined ? '–' : String(text); return td }
const fill = (id, rows, toCells) => {
  const body = document.querySelector('#' + id + ' tbody')
  body.replaceChildren(...rows.map((row) => { const tr = document.createElement('tr'); tr.append(...toCells(row)); return tr }))
}
const age = (ms) => ms === null ? 'none' : ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s'
async function refresh () {
  const [status, failed, deadLetters] = await Promise.all([api('status'), api('failed'), api('dead-letters')])
  document.getElementById('bus').textContent = '(' + status.bus.kind + (status.bus.started ? '' : ', stopped') + ')'
  document.getElementById('pending').textContent = status.pending
  document.getElementById('oldest').textContent = age(status.oldestPendingMs)
  document.getElementById('failed').textContent = status.failed
  document.getElementById('published').textContent = status.projector === null ? '–' : status.projector.published
  const peak = Math.max(1, ...status.publishRate.map((point) => point.perSecond))
  document.getElementById('rate').replaceChildren(...status.publishRate.map((point) => {
    const bar = document.createElement('div'); bar.style.height = Math.round(point.perSecond / peak * 100) + '%'; bar.title = point.at + ': ' + point.perSecond.toFixed(1) + '/s'; return bar
  }))
  fill('blocked', status.blockedKeys, (k) => [cell(k.partitionKey), cell(k.id), cell(k.eventType), cell(k.attempts), cell(k.lastError)])
  fill('failed-rows', failed, (row) => {
    const button = document.createElement('button')
    button.textContent = 'Replay'
    button.dataset.row = row.id
    button.onclick = async () => { button.disabled = true; await api('failed/' + row.id + '/replay', { method: 'POST' }); await refresh() }
    const action = document.createElement('td'); action.append(button)
    return [cell(row.id), cell(row.eventType), cell(row.partitionKey), cell(row.attempts), cell(row.lastError), action]
  })
  fill('dead-letters', deadLetters, (d) => [cell(d.topic), cell(d.parked)])
  document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString()
}
const loop = () => refresh().catch((err) => { document.getElementById('updated').textContent = String(err) }).finally(() => setTimeout(loop, 2000))
loop()
</script>
</body>
</html>
`
