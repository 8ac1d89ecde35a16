// A stand-in for vbx that serves the built app and answers docs/api.md from memory. It exists
// only for the UI smoke test (screenshots and a login round trip while the real server is not
// available); the end-to-end suite runs against the real `vbx demo`.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The Content-Security-Policy vbx sends with index.html (crates/vbx/src/http/web.rs, `CSP`). */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' blob: data:; media-src 'self' blob: https:; connect-src 'self' ws: wss: https:; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface MockServer {
  url: string;
  /** Pretend a text arrived from `from`. */
  inbound(from: string, body: string): void;
  /** Rings the registered browser clients with a call from `from`. */
  ring(from: string): string;
  /** Every frame the browser clients sent over the simulator protocol. */
  clientFrames: Record<string, unknown>[];
  /** What the app sent with POST /api/messages. */
  sent: { to: string; body: string }[];
  /** Drops every /ws connection and refuses new ones until `up()`. */
  down(): void;
  up(): void;
  /** Frames the app sent over /ws. */
  wsFrames: Record<string, unknown>[];
  close(): Promise<void>;
}

type Entry = { kind: string; sid: string; at: number; [key: string]: unknown };

interface Msg {
  kind: 'message';
  sid: string;
  direction: 'inbound' | 'outbound';
  body: string;
  media: { url: string; content_type: string }[];
  status: string;
  error: string | null;
  at: number;
}

export async function startMockServer(dist: string, now = Date.now()): Promise<MockServer> {
  const USER = { name: 'demo', password: 'demo-password' };
  const SESSION = 'mock-session';
  const CSRF = 'mock-csrf';
  const contacts = new Map<string, string>([
    ['+15550001111', 'Alice Smith'],
    ['+15550002222', 'Bob Alison'],
    ['+15550003333', 'Carol (front desk)'],
  ]);
  const min = 60_000;
  const items = new Map<string, Entry[]>([
    ['+15550001111', [
      { kind: 'message', sid: 'SM3', direction: 'inbound', body: 'Running 10 min late, sorry! Menu is at https://example.com/menu.', media: [], status: 'received', error: null, at: now - 5 * min },
      { kind: 'message', sid: 'SM2', direction: 'outbound', body: 'Sure, see you at noon.\nI will bring the <b>slides</b>.', media: [], status: 'delivered', error: null, at: now - 40 * min },
      { kind: 'call', sid: 'CA1', direction: 'inbound', status: 'completed', duration: 154, at: now - 65 * min },
      { kind: 'message', sid: 'SM1', direction: 'inbound', body: 'Lunch tomorrow?', media: [], status: 'received', error: null, at: now - 26 * 60 * min },
    ]],
    ['+15550002222', [
      { kind: 'voicemail', sid: 'RE1', call_sid: 'CA2', url: '/api/recordings/RE1', duration: 21, transcription: 'Hi, it is Bob. Call me back about the invoice when you can.', at: now - 3 * 60 * min },
      { kind: 'call', sid: 'CA2', direction: 'inbound', status: 'no-answer', duration: null, at: now - 3 * 60 * min - 30_000 },
    ]],
    ['+15557654321', [
      { kind: 'message', sid: 'SM4', direction: 'outbound', body: 'Your order has shipped.', media: [], status: 'failed', error: 'The destination number is unreachable (30003).', at: now - 3 * 24 * 60 * min },
    ]],
  ]);
  const unread = new Map<string, number>([['+15550001111', 1], ['+15550002222', 1]]);
  const sockets = new Set<WebSocket>();
  const log: { cursor: number }[] = [];
  const wsFrames: Record<string, unknown>[] = [];
  let isDown = false;
  const clients = new Set<WebSocket>();
  const clientFrames: Record<string, unknown>[] = [];
  let callCount = 0;
  let cursor = 10;
  const sent: { to: string; body: string }[] = [];

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string) => json(res, status, { error: { code, message } });
  const authed = (req: IncomingMessage) => (req.headers.cookie ?? '').includes(`vbx_session=${SESSION}`);
  const body = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => resolve(data));
    });
  const broadcast = (frame: Record<string, unknown>) => {
    if (typeof frame.cursor === 'number') log.push(frame as { cursor: number });
    for (const s of sockets) s.send(JSON.stringify(frame));
  };
  const conversation = (number: string) => {
    const list = items.get(number) ?? [];
    const last = list[0];
    const text = !last ? '' : last.kind === 'message' ? (last.body as string) : last.kind === 'voicemail' ? 'Voicemail' : last.status === 'no-answer' ? 'Missed call' : 'Call';
    return {
      number,
      name: contacts.get(number) ?? null,
      last: last ? { kind: last.kind, text, direction: last.direction ?? 'inbound', at: last.at } : null,
      unread: unread.get(number) ?? 0,
    };
  };

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === '/api/login' && req.method === 'POST') {
      const b = JSON.parse((await body(req)) || '{}');
      if (b.name !== USER.name || b.password !== USER.password) return fail(res, 401, 'bad_credentials', 'Wrong name or password.');
      res.setHeader('Set-Cookie', `vbx_session=${SESSION}; HttpOnly; SameSite=Strict; Path=/`);
      return json(res, 200, { user: { name: USER.name }, csrf: CSRF });
    }
    if (!authed(req)) return fail(res, 401, 'unauthenticated', 'Log in first.');
    if (req.method !== 'GET' && req.headers['x-csrf-token'] !== CSRF) return fail(res, 403, 'csrf', 'Missing CSRF token.');
    if (path === '/api/logout') {
      res.setHeader('Set-Cookie', 'vbx_session=; Path=/; Max-Age=0');
      res.writeHead(204).end();
      return;
    }
    if (path === '/api/session') return json(res, 200, { user: { name: USER.name }, csrf: CSRF, identity: 'vbx', number: '+15005550006', voice: { kind: 'sim', url: '/_mock/client' } });
    if (path === '/api/conversations') {
      const q = (url.searchParams.get('q') ?? '').toLowerCase();
      const list = [...items.keys()].map(conversation).filter((c) => !q || (c.name ?? '').toLowerCase().includes(q) || c.number.includes(q.replace(/\D/g, '') || '#'));
      list.sort((a, b) => (b.last?.at ?? 0) - (a.last?.at ?? 0));
      return json(res, 200, { items: list, next: null });
    }
    const thread = /^\/api\/threads\/([^/]+)(\/read)?$/.exec(path);
    if (thread?.[1]) {
      const number = decodeURIComponent(thread[1]);
      if (thread[2]) {
        unread.set(number, 0);
        res.writeHead(204).end();
        return;
      }
      return json(res, 200, { number, name: contacts.get(number) ?? null, items: items.get(number) ?? [], next: null });
    }
    if (path === '/api/calls') {
      const calls = [...items.entries()].flatMap(([number, list]) =>
        list.filter((i) => i.kind === 'call').map((c) => ({ ...c, from: c.direction === 'inbound' ? number : '+15005550006', to: c.direction === 'inbound' ? '+15005550006' : number, name: contacts.get(number) ?? null, recording: list.find((v) => v.kind === 'voicemail' && v.call_sid === c.sid) ?? null })),
      );
      return json(res, 200, { items: calls, next: null });
    }
    if (path === '/api/contacts' && req.method === 'GET') {
      return json(res, 200, { items: [...contacts.entries()].map(([number, name]) => ({ number, name })).sort((a, b) => a.name.localeCompare(b.name)) });
    }
    if (path === '/api/contacts' && req.method === 'POST') {
      const b = JSON.parse(await body(req));
      contacts.set(b.number, b.name);
      return json(res, 201, b);
    }
    const contact = /^\/api\/contacts\/([^/]+)$/.exec(path);
    if (contact?.[1]) {
      const number = decodeURIComponent(contact[1]);
      if (req.method === 'DELETE') {
        contacts.delete(number);
        res.writeHead(204).end();
        return;
      }
      contacts.set(number, JSON.parse(await body(req)).name);
      return json(res, 200, { number, name: contacts.get(number) });
    }
    if (path === '/api/messages' && req.method === 'POST') {
      const b = JSON.parse(await body(req));
      sent.push({ to: b.to, body: b.body });
      const item: Msg = { kind: 'message', sid: `SMs${sent.length}`, direction: 'outbound', body: b.body, media: [], status: 'queued', error: null, at: Date.now() };
      items.set(b.to, [{ ...item }, ...(items.get(b.to) ?? [])]);
      setTimeout(() => broadcast({ type: 'message', cursor: ++cursor, number: b.to, item }), 50);
      setTimeout(() => broadcast({ type: 'message', cursor: ++cursor, number: b.to, item: { ...item, status: 'delivered' } }), 150);
      return json(res, 202, { id: sent.length, status: 'queued' });
    }
    if (path === '/api/token') return json(res, 200, { token: 'mock-token', identity: 'vbx', expires_at: Date.now() + 3_600_000 });
    if (path === '/api/status') {
      return json(res, 200, { devices: [{ name: 'browser', type: 'browser', online: true, last_error: null }, { name: 'cell', type: 'sms', online: null, last_error: null }], twilio: { reachable: true, last_error: null }, last_sync: Date.now() - 120_000, outbox: { pending: 0, failed: 0 } });
    }
    return fail(res, 404, 'not_found', 'No such route.');
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/api/')) {
      void api(req, res, url);
      return;
    }
    let file = normalize(join(dist, url.pathname));
    if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
    const headers: Record<string, string> = { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' };
    if (file.endsWith('index.html')) headers['Content-Security-Policy'] = CSP;
    res.writeHead(200, headers);
    res.end(readFileSync(file));
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/ws' && (!authed(req) || isDown)) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (path === '/ws') {
        sockets.add(ws);
        ws.on('close', () => sockets.delete(ws));
        ws.on('message', (data) => {
          const f = JSON.parse(String(data));
          wsFrames.push(f);
          if (f.type === 'resume') for (const e of log.filter((e) => e.cursor > f.cursor)) ws.send(JSON.stringify(e));
        });
        ws.send(JSON.stringify({ type: 'hello', cursor }));
      } else if (path === '/_mock/client') {
        // The simulator's browser-client protocol, just enough to register.
        ws.on('message', (data) => {
          const f = JSON.parse(String(data));
          clientFrames.push(f);
          const reply = (frame: unknown) => ws.send(JSON.stringify(frame));
          if (f.type === 'register') {
            clients.add(ws);
            reply({ type: 'registered', identity: 'vbx' });
          } else if (f.type === 'accept') {
            reply({ type: 'connected', call_sid: f.call_sid });
          } else if (f.type === 'hangup' || f.type === 'reject') {
            reply({ type: 'disconnected', call_sid: f.call_sid });
          } else if (f.type === 'connect') {
            const sid = `CAout${++callCount}`;
            reply({ type: 'outgoing', call_sid: sid });
            setTimeout(() => reply({ type: 'connected', call_sid: sid }), 100);
          }
        });
        ws.on('close', () => clients.delete(ws));
      } else {
        ws.close();
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sent,
    clientFrames,
    wsFrames,
    down() {
      isDown = true;
      for (const s of sockets) s.terminate();
    },
    up() {
      isDown = false;
    },
    ring(from) {
      const sid = `CAin${++callCount}`;
      for (const c of clients) c.send(JSON.stringify({ type: 'incoming', call_sid: sid, from, to: 'client:vbx', params: {} }));
      return sid;
    },
    inbound(from, text) {
      const item: Msg = { kind: 'message', sid: `SMi${++cursor}`, direction: 'inbound', body: text, media: [], status: 'received', error: null, at: Date.now() };
      items.set(from, [{ ...item }, ...(items.get(from) ?? [])]);
      unread.set(from, (unread.get(from) ?? 0) + 1);
      broadcast({ type: 'message', cursor, number: from, item });
      broadcast({ type: 'unread', number: from, unread: unread.get(from), total: [...unread.values()].reduce((a, b) => a + b, 0) });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
