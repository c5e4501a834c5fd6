/**
 * Renders bench/results/<mode>.jsonl as an SVG chart: throughput, latency, and each figure that
 * has a target beside its target. Our own few lines of SVG, no charting package.
 *   npx tsx bench/chart.ts [results.jsonl] [out.svg]    (default: the full run, bench/results/chart.svg)
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

type Line = Record<string, unknown> & { scenario: string }

interface Bar {
  label: string
  value: number | null
  /** Drawn in the accent colour: ours. */
  ours?: boolean
}

interface Panel {
  title: string
  unit: string
  bars: Bar[]
  /** A target line (and its label), on the value axis. */
  target?: { value: number, label: string }
  log?: boolean
}

const WIDTH = 900
const BAR = 18
const GAP = 6
const LABEL = 260
const PLOT = WIDTH - LABEL - 110

function escape (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function format (value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : String(Math.round(value * 100) / 100)
}

function panelSvg (panel: Panel, top: number): { svg: string, height: number } {
  const values = panel.bars.map((b) => b.value ?? 0).concat(panel.target?.value ?? 0)
  const max = Math.max(...values, 1e-9) * 1.08
  const min = panel.log === true ? Math.max(0.1, Math.min(...panel.bars.map((b) => b.value ?? Infinity)) / 2) : 0
  const x = (v: number): number => panel.log === true
    ? LABEL + PLOT * (Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))
    : LABEL + PLOT * v / max
  const parts = [`<text x="10" y="${top + 16}" class="title">${escape(panel.title)} (${escape(panel.unit)}${panel.log === true ? ', log scale' : ''})</text>`]
  let y = top + 28
  for (const bar of panel.bars) {
    parts.push(`<text x="${LABEL - 8}" y="${y + BAR - 5}" class="label" text-anchor="end">${escape(bar.label)}</text>`)
    if (bar.value === null) {
      parts.push(`<text x="${LABEL + 4}" y="${y + BAR - 5}" class="value">not measured</text>`)
    } else {
      const end = x(bar.value)
      parts.push(`<rect x="${LABEL}" y="${y}" width="${Math.max(1, end - LABEL).toFixed(1)}" height="${BAR}" class="${bar.ours === true ? 'ours' : 'other'}"/>`)
      parts.push(`<text x="${(end + 4).toFixed(1)}" y="${y + BAR - 5}" class="value">${format(bar.value)}</text>`)
    }
    y += BAR + GAP
  }
  if (panel.target !== undefined) {
    const tx = x(panel.target.value).toFixed(1)
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top + 24}" y2="${y - GAP + 2}" class="target"/>`)
    parts.push(`<text x="${tx}" y="${y + 10}" class="target-label" text-anchor="middle">${escape(panel.target.label)}</text>`)
    y += 14
  }
  return { svg: parts.join('\n'), height: y - top + 12 }
}

function num (line: Line | undefined, field: string): number | null {
  const value = line?.[field]
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

export function panelsOf (lines: Line[]): Panel[] {
  const by = (name: string): Line | undefined => lines.find((l) => l.scenario === name)
  const w = by('write-path')
  const r = by('projector-throughput')
  const e = by('e2e-latency')
  const b = by('backlog')
  const s = by('scale-out')
  const p = by('peer')
  return [
    {
      title: 'Write path: POST /orders at 16 connections',
      unit: 'requests/s',
      bars: [
        { label: 'order insert alone', value: num(w, 'rpsOrderOnly') },
        { label: 'order + outbox.add (ours)', value: num(w, 'rpsWithOutbox'), ours: true }
      ]
    },
    {
      title: 'Wake-up designs at 64 connections',
      unit: 'requests/s',
      bars: [
        { label: 'in-process wake-up (ours)', value: num(w, 'rpsNoNotify'), ours: true },
        { label: 'NOTIFY after commit, coalesced (ours)', value: num(w, 'rpsCoalescedNotify'), ours: true },
        { label: 'NOTIFY after every commit', value: num(w, 'rpsNotifyAfterEachCommit') },
        { label: 'NOTIFY in the transaction', value: num(w, 'rpsNotifyInTx') }
      ]
    },
    {
      title: 'Relay throughput, 1 KB payloads',
      unit: 'messages/s',
      bars: [
        { label: 'raw producer, no database', value: num(r, 'rateRawProducer') },
        { label: 'raw producer, native driver', value: num(r, 'rawProducerRateNative') },
        { label: 'relay → Pulsar (ours)', value: num(r, 'rateRelayPulsar'), ours: true },
        { label: 'relay → Pulsar, native driver (ours)', value: num(r, 'relayRateNative'), ours: true },
        { label: 'relay → in-memory bus (ours)', value: num(r, 'rateRelayMemory'), ours: true },
        { label: 'relay → no-op bus (ours)', value: num(r, 'rateRelayNoop'), ours: true },
        { label: 'backlog drain (ours)', value: num(b, 'rateLarge'), ours: true },
        { label: 'scale-out: 1 process (ours)', value: num(s, 'rate1'), ours: true },
        { label: 'scale-out: 2 processes (ours)', value: num(s, 'rate2'), ours: true },
        { label: 'scale-out: 4 processes (ours)', value: num(s, 'rate4'), ours: true },
        { label: 'same run: ours → Pulsar', value: num(p, 'rateOurs'), ours: true },
        { label: 'pg-transactional-outbox, our batch and poll', value: num(p, 'ratePeerSameSettings') },
        { label: 'pg-transactional-outbox, logical replication', value: num(p, 'ratePeerReplication') },
        { label: 'pg-transactional-outbox, defaults', value: num(p, 'ratePeerDefaults') }
      ],
      log: true
    },
    {
      title: 'Commit → subscriber latency, p50 and p99',
      unit: 'ms',
      bars: [
        { label: 'Pulsar 200/s p50 (ours)', value: num(e, 'pulsar200P50Ms'), ours: true },
        { label: 'Pulsar 200/s p99 (ours)', value: num(e, 'pulsar200P99Ms'), ours: true },
        { label: 'Pulsar native 200/s p50 (ours)', value: num(e, 'pulsarNative200P50Ms'), ours: true },
        { label: 'Pulsar native 200/s p99 (ours)', value: num(e, 'pulsarNative200P99Ms'), ours: true },
        { label: 'memory bus 200/s p50 (ours)', value: num(e, 'memory200P50Ms'), ours: true },
        { label: 'memory bus 200/s p99 (ours)', value: num(e, 'memory200P99Ms'), ours: true },
        { label: 'Pulsar 2000/s p50 (ours)', value: num(e, 'pulsar2000P50Ms'), ours: true },
        { label: 'Pulsar 2000/s p99 (ours)', value: num(e, 'pulsar2000P99Ms'), ours: true },
        { label: 'peer, our batch and poll, 200/s p50', value: num(p, 'e2ePeerSameSettingsP50Ms') },
        { label: 'peer, our batch and poll, 200/s p99', value: num(p, 'e2ePeerSameSettingsP99Ms') },
        { label: 'peer, logical replication, 200/s p50', value: num(p, 'e2ePeerReplicationP50Ms') },
        { label: 'peer, logical replication, 200/s p99', value: num(p, 'e2ePeerReplicationP99Ms') }
      ],
      target: { value: 50, label: 'target p99 < 50 ms at 200/s' },
      log: true
    },
    {
      title: 'Write overhead: with outbox / order alone',
      unit: 'ratio',
      bars: [
        { label: 'mean latency at 16 connections', value: num(w, 'writeOverhead'), ours: true },
        { label: 'CPU per request (server + backends)', value: num(w, 'writeOverheadByCpu'), ours: true }
      ],
      target: { value: 1.1, label: 'target < 1.10' }
    },
    {
      title: 'Relay rate / raw producer rate (same run, same N)',
      unit: 'ratio',
      bars: [
        { label: 'relayVsRawProducer', value: num(r, 'relayVsRawProducer'), ours: true }
      ],
      target: { value: 0.8, label: 'target ≥ 0.8' }
    },
    {
      title: 'Relay process peak RSS',
      unit: 'MiB',
      bars: [
        { label: `backlog ${num(b, 'rowsSmall') ?? '?'} rows`, value: num(b, 'peakRssMiBSmall'), ours: true },
        { label: `backlog ${num(b, 'rowsLarge') ?? '?'} rows`, value: num(b, 'peakRssMiBLarge'), ours: true }
      ],
      target: { value: 256, label: 'target < 256 MiB' }
    }
  ]
}

export function renderChart (lines: Line[], caption: string): string {
  const rendered: string[] = []
  let top = 34
  for (const panel of panelsOf(lines)) {
    const { svg, height } = panelSvg(panel, top)
    rendered.push(svg)
    top += height
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top + 10}" viewBox="0 0 ${WIDTH} ${top + 10}" font-family="sans-serif">
<style>
.title { font-size: 14px; font-weight: bold; fill: #222 }
.label { font-size: 12px; fill: #333 }
.value { font-size: 11px; fill: #333 }
.ours { fill: #2a6fdb }
.other { fill: #9a9a9a }
.target { stroke: #d33; stroke-width: 2; stroke-dasharray: 5 3 }
.target-label { font-size: 11px; fill: #d33 }
</style>
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" class="title">${escape(caption)}</text>
${rendered.join('\n')}
</svg>
`
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const input = process.argv[2] ?? fileURLToPath(new URL('./results/full.jsonl', import.meta.url))
  const output = process.argv[3] ?? fileURLToPath(new URL('./results/chart.svg', import.meta.url))
  const lines = (await readFile(input, 'utf8')).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Line)
  const mode = typeof lines[0]?.mode === 'string' ? lines[0].mode : 'full'
  const at = typeof lines[0]?.at === 'string' ? lines[0].at.slice(0, 10) : ''
  await writeFile(output, renderChart(lines, `fastify-outbox benchmarks, ${mode} run ${at} (blue: ours, grey: baselines and the peer)`))
  process.stdout.write(`${output}\n`)
}
