// Test doubles: a WebSocket the test drives by hand, and timers the test advances.

import type { SocketLike, Timers } from '../src/live';

export class FakeSocket implements SocketLike {
  sent: unknown[] = [];
  closed = false;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code?: number }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.closed) throw new Error('send on a closed socket');
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.closed = true;
  }

  // ---- what the server side does ----
  open(): void {
    this.onopen?.({});
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  drop(): void {
    this.closed = true;
    this.onerror?.({});
    this.onclose?.({ code: 1006 });
  }
}

export class SocketFactory {
  sockets: FakeSocket[] = [];
  open = (url: string): SocketLike => {
    const s = new FakeSocket(url);
    this.sockets.push(s);
    return s;
  };
  get last(): FakeSocket {
    const s = this.sockets[this.sockets.length - 1];
    if (!s) throw new Error('no socket opened');
    return s;
  }
}

export class FakeTimers implements Timers {
  time = 1_000_000;
  rand = 0;
  private queue: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.queue.push({ at: this.time + ms, fn, id });
    return id;
  }

  clearTimeout(id: unknown): void {
    this.queue = this.queue.filter((t) => t.id !== id);
  }

  now(): number {
    return this.time;
  }

  random(): number {
    return this.rand;
  }

  get pending(): number[] {
    return this.queue.map((t) => t.at - this.time);
  }

  /** Moves time forward, running what falls due in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.queue.shift();
      this.time = next.at;
      next.fn();
    }
    this.time = end;
  }
}
