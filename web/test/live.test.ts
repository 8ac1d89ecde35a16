import { beforeEach, describe, expect, it } from 'vitest';
import { backoffDelay, LiveConnection, type LiveStatus } from '../src/live';
import type { ServerEvent } from '../src/types';
import { FakeTimers, SocketFactory } from './fakes';

function message(cursor: number, sid = `SM${cursor}`): ServerEvent {
  return {
    type: 'message',
    cursor,
    number: '+15551234567',
    item: { kind: 'message', sid, direction: 'inbound', body: 'x', media: [], status: 'received', error: null, at: cursor },
  };
}

describe('backoffDelay', () => {
  it('doubles from one second and stops growing at thirty', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((a) => backoffDelay(a, 0))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
  it('takes off up to half as jitter', () => {
    expect(backoffDelay(2, 1)).toBe(2000);
    expect(backoffDelay(2, 0.5)).toBe(3000);
  });
});

describe('LiveConnection', () => {
  let sockets: SocketFactory;
  let timers: FakeTimers;
  let events: ServerEvent[];
  let statuses: LiveStatus[];
  let resyncs: number;
  let readies: number;
  let loggedOut: number;
  let live: LiveConnection;

  beforeEach(() => {
    sockets = new SocketFactory();
    timers = new FakeTimers();
    events = [];
    statuses = [];
    resyncs = 0;
    readies = 0;
    loggedOut = 0;
    live = new LiveConnection({
      url: 'ws://vbx/ws',
      open: sockets.open,
      onEvent: (e) => events.push(e),
      onStatus: (s) => statuses.push(s),
      onResync: () => (resyncs += 1),
      onReady: () => (readies += 1),
      onLoggedOut: () => (loggedOut += 1),
      timers,
    });
  });

  it('starts from the hello cursor on first connect and asks the app to load fresh state', () => {
    live.start();
    sockets.last.open();
    sockets.last.receive({ type: 'hello', cursor: 41 });
    expect(live.cursor).toBe(41);
    expect(resyncs).toBe(1);
    expect(readies).toBe(1);
    expect(sockets.last.sent).toEqual([]);
    expect(statuses.at(-1)).toEqual({ status: 'open' });
  });

  it('applies each event once and remembers the newest cursor', () => {
    live.start();
    sockets.last.receive({ type: 'hello', cursor: 1 });
    sockets.last.receive(message(2));
    sockets.last.receive(message(2));
    sockets.last.receive(message(3));
    expect(events.map((e) => ('cursor' in e ? e.cursor : null))).toEqual([2, 3]);
    expect(live.cursor).toBe(3);
  });

  it('reconnects after a drop with backoff and resumes from the last cursor', () => {
    live.start();
    sockets.last.receive({ type: 'hello', cursor: 1 });
    sockets.last.receive(message(5));
    sockets.last.drop();
    expect(statuses.at(-1)).toEqual({ status: 'waiting', attempt: 1, retryAt: timers.time + 1000 });
    expect(sockets.sockets.length).toBe(1);

    timers.advance(999);
    expect(sockets.sockets.length).toBe(1);
    timers.advance(1);
    expect(sockets.sockets.length).toBe(2);

    sockets.last.receive({ type: 'hello', cursor: 9 });
    expect(sockets.last.sent).toEqual([{ type: 'resume', cursor: 5 }]);
    expect(resyncs).toBe(1);
    expect(readies).toBe(2);

    // The replay may repeat what was already applied; only the missed events come through.
    for (const c of [5, 6, 7, 8, 9]) sockets.last.receive(message(c));
    expect(events.map((e) => ('cursor' in e ? e.cursor : null))).toEqual([5, 6, 7, 8, 9]);
    expect(live.cursor).toBe(9);
  });

  it('does not ask for a replay when nothing was missed', () => {
    live.start();
    sockets.last.receive({ type: 'hello', cursor: 4 });
    sockets.last.drop();
    timers.advance(1000);
    sockets.last.receive({ type: 'hello', cursor: 4 });
    expect(sockets.last.sent).toEqual([]);
  });

  it('reloads everything when the server history went backwards (a new database)', () => {
    live.start();
    sockets.last.receive({ type: 'hello', cursor: 50 });
    sockets.last.drop();
    timers.advance(1000);
    sockets.last.receive({ type: 'hello', cursor: 3 });
    expect(sockets.last.sent).toEqual([]);
    expect(resyncs).toBe(2);
    expect(live.cursor).toBe(3);
    sockets.last.receive(message(4));
    expect(events.length).toBe(1);
  });

  it('waits longer after each failed attempt and starts over once connected', () => {
    live.start();
    sockets.last.drop();
    timers.advance(1000);
    sockets.last.drop();
    timers.advance(2000);
    sockets.last.drop();
    expect(timers.pending).toEqual([4000]);
    timers.advance(4000);
    sockets.last.receive({ type: 'hello', cursor: 1 });
    sockets.last.drop();
    expect(timers.pending).toEqual([1000]);
  });

  it('reconnects at once on retryNow, and not at all after stop', () => {
    live.start();
    sockets.last.drop();
    live.retryNow();
    expect(sockets.sockets.length).toBe(2);
    expect(timers.pending).toEqual([]);
    live.stop();
    expect(sockets.last.closed).toBe(true);
    timers.advance(60_000);
    expect(sockets.sockets.length).toBe(2);
  });

  it('sends frames only while connected', () => {
    live.start();
    expect(live.send({ type: 'voice', registered: true })).toBe(false);
    sockets.last.receive({ type: 'hello', cursor: 0 });
    expect(live.send({ type: 'voice', registered: true })).toBe(true);
    expect(sockets.last.sent).toEqual([{ type: 'voice', registered: true }]);
  });

  it('ignores frames that are not JSON or not events, and frames from an old socket', () => {
    live.start();
    const first = sockets.last;
    first.receive({ type: 'hello', cursor: 0 });
    first.receive('not json');
    first.receive({ type: 'message', cursor: 'x' });
    first.receive({ type: 'surprise' });
    first.drop();
    timers.advance(1000);
    first.receive(message(1));
    expect(events).toEqual([]);
  });

  it('passes unread and presence frames, which carry no cursor', () => {
    live.start();
    sockets.last.receive({ type: 'hello', cursor: 0 });
    sockets.last.receive({ type: 'unread', number: '+1', unread: 2, total: 5 });
    sockets.last.receive({ type: 'presence', devices: [{ name: 'browser', online: true }] });
    expect(events.map((e) => e.type)).toEqual(['unread', 'presence']);
  });

  it('passes deletions and contact changes from other tabs', () => {
    live.start();
    sockets.last.receive({ type: 'hello', cursor: 0 });
    sockets.last.receive({ type: 'deleted', cursor: 1, number: '+1', kind: 'message', sid: 'SM1' });
    sockets.last.receive({ type: 'contact', cursor: 2, number: '+1', name: 'Ann' });
    sockets.last.receive({ type: 'contact', cursor: 3, number: '+1', name: null });
    sockets.last.receive({ type: 'contact', cursor: 4, number: '+1', name: 7 });
    expect(events.map((e) => e.type)).toEqual(['deleted', 'contact', 'contact']);
    expect(live.cursor).toBe(3);
  });

  it('passes marks and the new-voicemail count, and drops malformed ones', () => {
    live.start();
    sockets.last.receive({ type: 'hello', cursor: 0 });
    sockets.last.receive({ type: 'marks', cursor: 1, number: '+1', archived: true, blocked: false });
    sockets.last.receive({ type: 'marks', cursor: 2, number: '+1', archived: 'yes', blocked: false });
    sockets.last.receive({ type: 'voicemails', cursor: 3, new: 2 });
    sockets.last.receive({ type: 'voicemails', cursor: 4 });
    expect(events.map((e) => e.type)).toEqual(['marks', 'voicemails']);
    expect(live.cursor).toBe(3);
  });

  it('stops for good and tells the app when the session ended', () => {
    live.start();
    const socket = sockets.last;
    socket.receive({ type: 'hello', cursor: 0 });
    socket.receive({ type: 'logged_out' });
    expect(loggedOut).toBe(1);
    expect(socket.closed).toBe(true);
    expect(statuses.at(-1)).toEqual({ status: 'stopped' });
    timers.advance(60_000);
    expect(sockets.sockets.length).toBe(1);
  });

  it('starts over from the server cursor when it cannot replay what was missed', () => {
    live.start();
    sockets.last.receive({ type: 'hello', cursor: 5 });
    sockets.last.drop();
    timers.advance(1000);
    sockets.last.receive({ type: 'hello', cursor: 900 });
    expect(sockets.last.sent).toEqual([{ type: 'resume', cursor: 5 }]);
    sockets.last.receive({ type: 'reload', cursor: 900 });
    expect(live.cursor).toBe(900);
    expect(resyncs).toBe(2);
    sockets.last.receive(message(900));
    sockets.last.receive(message(901));
    expect(events.map((e) => ('cursor' in e ? e.cursor : null))).toEqual([901]);
  });
});
