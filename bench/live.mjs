// Live latency (bench/live.sh): opens CLIENTS logged-in `/ws` sockets, then sends signed
// incoming-text webhooks (`POST /flow/msg/default`, a new MessageSid each) and times, for each
// webhook, from just before its request is written until the `message` frame carrying its SID
// has reached every socket. Phases: `steady` (RATE webhooks a second, open loop: sent on
// schedule whatever the answers) and `burst` (BURST webhooks at once, over 16 connections).
//
// Usage: node bench/live.mjs BASE_URL COOKIE PUBLIC_URL AUTH_TOKEN CLIENTS PHASE COUNT [RATE]
// Prints one `RESULT …` line (times in µs) and, on stderr, what went wrong if anything did.
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(new URL('../web/package.json', import.meta.url));
const WebSocket = require('ws');

const [base, cookie, publicUrl, token, clientsArg, phase, countArg, rateArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const count = Number(countArg);
const rate = Number(rateArg ?? 20);
if (!base || !cookie || !token || !(clients > 0) || !['steady', 'burst'].includes(phase) || !(count > 0)) {
  console.error('usage: node bench/live.mjs BASE_URL COOKIE PUBLIC_URL AUTH_TOKEN CLIENTS steady|burst COUNT [RATE]');
  process.exit(2);
}
const url = new URL(base);
const PATH = '/flow/msg/default';

// Twilio's signature (FACTS §2): HMAC-SHA1 over the URL and the sorted name+value pairs.
function signedBody(params) {
  const names = Object.keys(params).sort();
  const signed = publicUrl.replace(/\/$/, '') + PATH + names.map((n) => n + params[n]).join('');
  const signature = createHmac('sha1', token).update(signed).digest('base64');
  return { body: new URLSearchParams(params).toString(), signature };
}

// --- the sockets ---------------------------------------------------------------------------
const pending = new Map(); // sid → { sent, answered, seen: count, first, last }
const sidPattern = /"sid":"(SM[0-9a-f]{32})"/;
let strayFrames = 0;
let closed = 0;

function open(i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${url.host}/ws`, { headers: { Cookie: cookie } });
    let hello = false;
    ws.on('message', (data) => {
      const now = performance.now();
      const text = data.toString();
      if (!hello) {
        if (text.includes('"type":"hello"')) {
          hello = true;
          resolve(ws);
        }
        return;
      }
      if (!text.includes('"type":"message"')) return;
      const match = sidPattern.exec(text);
      const entry = match && pending.get(match[1]);
      if (!entry) {
        strayFrames++;
        return;
      }
      entry.seen++;
      if (entry.first === undefined) entry.first = now;
      if (entry.seen === clients) entry.last = now;
    });
    ws.on('error', (e) => (hello ? console.error(`socket ${i}: ${e.message}`) : reject(e)));
    ws.on('close', () => {
      if (hello) closed++;
    });
  });
}

const sockets = [];
for (let i = 0; i < clients; i++) sockets.push(await open(i));

// --- the webhooks --------------------------------------------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
let non200 = 0;
let n = 0;

function send() {
  n++;
  const sid = 'SM' + randomBytes(16).toString('hex');
  const params = {
    AccountSid: 'AC0123456789abcdef0123456789abcdef',
    MessageSid: sid,
    From: '+1415' + String(5550000 + (n % 500)).padStart(7, '0'),
    To: '+18001234567',
    Body: `live latency #${n}`,
    NumMedia: '0',
    NumSegments: '1',
    ApiVersion: '2010-04-01',
  };
  const { body, signature } = signedBody(params);
  const entry = { seen: 0 };
  pending.set(sid, entry);
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: PATH,
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': Buffer.byteLength(body),
          'X-Twilio-Signature': signature,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          entry.answered = performance.now();
          if (res.statusCode !== 200) non200++;
          resolve();
        });
      },
    );
    req.on('error', (e) => {
      console.error(`webhook: ${e.message}`);
      non200++;
      resolve();
    });
    entry.sent = performance.now();
    req.end(body);
  });
}

const requests = [];
if (phase === 'steady') {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    requests.push(send());
  }
} else {
  for (let i = 0; i < count; i++) requests.push(send());
}
await Promise.all(requests);

// Wait (up to 10 s) for every socket to have every frame.
const deadline = performance.now() + 10_000;
const done = () => [...pending.values()].every((e) => e.last !== undefined);
while (!done() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));

// --- results -------------------------------------------------------------------------------
const entries = [...pending.values()];
const missing = entries.filter((e) => e.last === undefined).length;
const complete = entries.filter((e) => e.last !== undefined);
const pct = (values, p) => {
  if (values.length === 0) return -1;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
};
const us = (ms) => Math.round(ms * 1000);
const all = complete.map((e) => e.last - e.sent);
const first = complete.map((e) => e.first - e.sent);
const answered = complete.map((e) => e.answered - e.sent);
const spread = complete.map((e) => e.last - e.first);
console.log(
  `RESULT phase=${phase} webhooks=${entries.length} clients=${clients} missing=${missing} ` +
    `non200=${non200} stray=${strayFrames} closed=${closed} ` +
    `all_p50_us=${us(pct(all, 50))} all_p99_us=${us(pct(all, 99))} all_max_us=${us(Math.max(...all))} ` +
    `first_p50_us=${us(pct(first, 50))} first_p99_us=${us(pct(first, 99))} ` +
    `answer_p50_us=${us(pct(answered, 50))} answer_p99_us=${us(pct(answered, 99))} ` +
    `spread_p50_us=${us(pct(spread, 50))} spread_p99_us=${us(pct(spread, 99))}`,
);
for (const ws of sockets) ws.terminate();
agent.destroy();
process.exit(missing || non200 || closed ? 1 : 0);
