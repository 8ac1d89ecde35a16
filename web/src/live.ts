// The `/ws` connection: reconnects with capped, jittered backoff and catches up on what it missed
// with `{"type":"resume","cursor":N}`, so every event is applied once even across drops.

import type { ClientFrame, ServerEvent } from './types';

/** The part of a browser WebSocket this module uses (tests pass a fake). */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  now(): number;
  random(): number;
}

export const browserTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
  random: () => Math.random(),
};

export type LiveStatus =
  | { status: 'connecting'; attempt: number }
  | { status: 'open' }
  | { status: 'waiting'; attempt: number; retryAt: number }
  | { status: 'stopped' };

export interface LiveOptions {
  url: string;
  open: (url: string) => SocketLike;
  /** Each event once; events replayed after a resume come through here too. */
  onEvent: (event: ServerEvent) => void;
  onStatus: (status: LiveStatus) => void;
  /** Called after every `hello` (first connect and reconnects): send this tab's state again. */
  onReady?: () => void;
  /** The server cannot replay what was missed (first connect, or its cursor went backwards). */
  onResync?: () => void;
  /** The session ended (a logout, maybe in another tab): the connection has stopped. */
  onLoggedOut?: () => void;
  timers?: Timers;
}

/** Delay before reconnect attempt `attempt` (0-based): 1 s doubling to 30 s, minus up to 50% jitter. */
export function backoffDelay(attempt: number, random: number): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 15));
  return Math.round(base * (1 - 0.5 * random));
}

const SEEN_LIMIT = 2000;

export class LiveConnection {
  /** The newest event cursor applied; what a reconnect resumes from. */
  cursor: number | null = null;
  private socket: SocketLike | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private stopped = true;
  private ready = false;
  /** Events at or below this were applied before the current connection. */
  private baseline = 0;
  private seen = new Set<number>();
  private readonly timers: Timers;

  constructor(private readonly opts: LiveOptions) {
    this.timers = opts.timers ?? browserTimers;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
    const s = this.socket;
    this.socket = null;
    this.ready = false;
    if (s) {
      s.onclose = null;
      s.close(1000, 'bye');
    }
    this.opts.onStatus({ status: 'stopped' });
  }

  /** Reconnect at once instead of waiting for the backoff (the network came back, a click). */
  retryNow(): void {
    if (this.stopped || this.socket) return;
    this.clearTimer();
    this.connect();
  }

  /** Sends a frame if the connection is up; false when it is not (onReady will run on reconnect). */
  send(frame: ClientFrame): boolean {
    if (!this.socket || !this.ready) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private connect(): void {
    this.opts.onStatus({ status: 'connecting', attempt: this.attempt });
    let socket: SocketLike;
    try {
      socket = this.opts.open(this.opts.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    this.ready = false;
    socket.onmessage = (ev) => this.onFrame(socket, ev.data);
    socket.onclose = () => this.onClose(socket);
    socket.onerror = () => {
      // A close always follows an error; the retry is scheduled there.
    };
  }

  private onClose(socket: SocketLike): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.ready = false;
    if (!this.stopped) this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const delay = backoffDelay(this.attempt, this.timers.random());
    this.attempt += 1;
    this.opts.onStatus({ status: 'waiting', attempt: this.attempt, retryAt: this.timers.now() + delay });
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private onFrame(socket: SocketLike, data: unknown): void {
    if (socket !== this.socket || typeof data !== 'string') return;
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (isControl(frame, 'logged_out')) {
      this.stop();
      this.opts.onLoggedOut?.();
      return;
    }
    if (isControl(frame, 'reload') && typeof frame.cursor === 'number') {
      // The server cannot replay from our cursor (its history was pruned): start from its.
      this.cursor = frame.cursor;
      this.baseline = frame.cursor;
      this.seen.clear();
      this.opts.onResync?.();
      return;
    }
    if (!isEvent(frame)) return;
    if (frame.type === 'hello') {
      this.onHello(socket, frame.cursor);
      return;
    }
    if ('cursor' in frame) {
      const c = frame.cursor;
      if (c <= this.baseline || this.seen.has(c)) return;
      this.remember(c);
      if (this.cursor === null || c > this.cursor) this.cursor = c;
    }
    this.opts.onEvent(frame);
  }

  private onHello(socket: SocketLike, serverCursor: number): void {
    this.attempt = 0;
    this.ready = true;
    this.seen.clear();
    if (this.cursor === null || serverCursor < this.cursor) {
      // Nothing to resume from (or the server's history was reset): start from now and reload.
      this.cursor = serverCursor;
      this.baseline = serverCursor;
      this.opts.onStatus({ status: 'open' });
      this.opts.onResync?.();
    } else {
      this.baseline = this.cursor;
      if (serverCursor > this.cursor) socket.send(JSON.stringify({ type: 'resume', cursor: this.cursor }));
      this.opts.onStatus({ status: 'open' });
    }
    this.opts.onReady?.();
  }

  private remember(c: number): void {
    this.seen.add(c);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}

/** A frame about the connection itself rather than an event. */
function isControl(v: unknown, type: 'logged_out' | 'reload'): v is { type: string; cursor?: unknown } {
  return typeof v === 'object' && v !== null && (v as Record<string, unknown>).type === type;
}

function isEvent(v: unknown): v is ServerEvent {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Record<string, unknown>;
  switch (f.type) {
    case 'hello':
      return typeof f.cursor === 'number';
    case 'message':
    case 'call':
    case 'voicemail':
      return typeof f.cursor === 'number' && typeof f.number === 'string' && typeof f.item === 'object' && f.item !== null;
    case 'unread':
      return typeof f.number === 'string' && typeof f.unread === 'number';
    case 'deleted':
      return typeof f.cursor === 'number' && typeof f.number === 'string' && typeof f.sid === 'string';
    case 'contact':
      return typeof f.cursor === 'number' && typeof f.number === 'string' && (typeof f.name === 'string' || f.name === null);
    case 'marks':
      return typeof f.cursor === 'number' && typeof f.number === 'string' && typeof f.archived === 'boolean' && typeof f.blocked === 'boolean';
    case 'voicemails':
      return typeof f.cursor === 'number' && typeof f.new === 'number';
    case 'presence':
      return Array.isArray(f.devices);
    default:
      return false;
  }
}
