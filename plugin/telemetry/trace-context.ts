import { context, ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api'

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) carried in an envelope's headers, which
 * travel with the outbox row and as message properties (`traceparent`, `tracestate`) that other
 * clients read. Written and read here directly, not through a registered propagator: the
 * application may have registered none, and the format is fixed by the standard.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
const INVALID_TRACE_ID = '0'.repeat(32)
const INVALID_SPAN_ID = '0'.repeat(16)

/** `traceparent` (and `tracestate`) of the span active in `ctx`; empty when no span is recording a trace. */
export function traceHeaders (ctx: Context = context.active()): Record<string, string> {
  const span = trace.getSpanContext(ctx)
  if (span === undefined || span.traceId === INVALID_TRACE_ID || span.spanId === INVALID_SPAN_ID) return {}
  const flags = (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00'
  const headers: Record<string, string> = { traceparent: `00-${span.traceId}-${span.spanId}-${flags}` }
  const state = span.traceState?.serialize()
  if (state !== undefined && state !== '') headers.tracestate = state
  return headers
}

/** The remote context a `traceparent` header names, to parent or link spans to; ROOT_CONTEXT when absent or malformed. */
export function contextOf (headers: Readonly<Record<string, string>>): Context {
  const match = TRACEPARENT.exec(headers.traceparent ?? '')
  if (match === null || match[1] === INVALID_TRACE_ID || match[2] === INVALID_SPAN_ID) return ROOT_CONTEXT
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true
  })
}
