// Proves a broker works end to end: subscribes, publishes one message over the
// WebSocket API, receives it, acknowledges it. start.sh runs it before saying "ready".
//
//   node ws-roundtrip.mjs <ws[s]://127.0.0.1:8080> [topic] [subscription]
//
// PULSAR_TOKEN: a JWT sent as ?token= (brokers with token auth).
// PULSAR_TLS_TRUST_FILE: the CA (PEM) that signed a wss:// broker's certificate.
// Uses the `ws` package from the repository's node_modules (`npm ci`).
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

const [base, topic = 'start-check', subscription = 'start-check'] = process.argv.slice(2);
if (!base) {
  console.error('usage: node ws-roundtrip.mjs <ws[s]://host:port> [topic] [subscription]');
  process.exit(2);
}
const timeoutMs = Number(process.env.PULSAR_ROUNDTRIP_TIMEOUT_MS ?? 15000);

let WebSocket;
try {
  WebSocket = (await import('ws')).default;
} catch {
  console.error('ws-roundtrip: the `ws` package is missing: run `npm ci` in the repository first');
  process.exit(2);
}

const query = process.env.PULSAR_TOKEN ? `?token=${encodeURIComponent(process.env.PULSAR_TOKEN)}` : '';
const socketOptions = process.env.PULSAR_TLS_TRUST_FILE
  ? { ca: readFileSync(process.env.PULSAR_TLS_TRUST_FILE) }
  : {};
const path = `persistent/public/default/${topic}`;

/** Opens a socket and resolves once the broker accepted the upgrade. */
function connect(url) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, socketOptions);
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => {
      reject(new Error(`${url.split('?')[0]} answered HTTP ${res.statusCode} ${res.statusMessage}`));
    });
    socket.once('error', reject);
  });
}

/** Resolves with the first JSON frame that `accept` returns true for. */
function nextFrame(socket, accept) {
  return new Promise((resolve) => {
    socket.on('message', function onMessage(data) {
      const frame = JSON.parse(data.toString());
      if (accept(frame)) {
        socket.off('message', onMessage);
        resolve(frame);
      }
    });
  });
}

async function roundTrip() {
  const started = Date.now();
  const body = randomUUID();
  const consumer = await connect(`${base}/ws/v2/consumer/${path}/${subscription}${query}`);
  const producer = await connect(`${base}/ws/v2/producer/${path}${query}`);
  try {
    const received = nextFrame(consumer, (f) => Buffer.from(f.payload ?? '', 'base64').toString() === body);
    const reply = nextFrame(producer, (f) => f.context === body);
    producer.send(JSON.stringify({ payload: Buffer.from(body).toString('base64'), context: body }));
    const sent = await reply;
    if (sent.result !== 'ok') throw new Error(`publish failed: ${JSON.stringify(sent)}`);
    const message = await received;
    consumer.send(JSON.stringify({ messageId: message.messageId }));
    return `round trip ok over ${base.split(':')[0]}: ${message.messageId} in ${Date.now() - started} ms`;
  } finally {
    producer.close();
    consumer.close();
  }
}

const timer = setTimeout(() => {
  console.error(`ws-roundtrip: no round trip within ${timeoutMs} ms`);
  process.exit(1);
}, timeoutMs);
try {
  console.log(await roundTrip());
  clearTimeout(timer);
} catch (error) {
  console.error(`ws-roundtrip: ${error.message}`);
  process.exit(1);
}
