import { describe, expect, it } from 'vitest';
import { refreshDelay, TokenKeeper } from '../src/token';
import type { VoiceToken } from '../src/types';
import { FakeTimers } from './fakes';

const HOUR = 3_600_000;

function flush(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

describe('refreshDelay', () => {
  it('refreshes an hour-long token five minutes before it expires', () => {
    expect(refreshDelay({ token: 't', identity: 'vbx', expires_at: 1000 + HOUR }, 1000)).toBe(HOUR - 5 * 60_000);
  });
  it('refreshes a short token at 80% of its life', () => {
    expect(refreshDelay({ token: 't', identity: 'vbx', expires_at: 100_000 }, 0)).toBe(80_000);
  });
  it('refreshes an expired token at once', () => {
    expect(refreshDelay({ token: 't', identity: 'vbx', expires_at: 10 }, 20)).toBe(0);
  });
});

describe('TokenKeeper', () => {
  it('hands a fresh token to the voice layer before the old one expires', async () => {
    const timers = new FakeTimers();
    let n = 0;
    const got: string[] = [];
    const keeper = new TokenKeeper({
      fetch: async () => ({ token: `t${++n}`, identity: 'vbx', expires_at: timers.now() + HOUR }),
      onToken: (t) => got.push(t.token),
      onError: () => {},
      timers,
    });
    const first = await keeper.start();
    expect(first.token).toBe('t1');
    timers.advance(HOUR - 5 * 60_000 - 1);
    await flush();
    expect(got).toEqual([]);
    timers.advance(1);
    await flush();
    expect(got).toEqual(['t2']);
    timers.advance(HOUR - 5 * 60_000);
    await flush();
    expect(got).toEqual(['t2', 't3']);
  });

  it('retries with backoff when vbx cannot issue a token, and reports each failure', async () => {
    const timers = new FakeTimers();
    let fail = false;
    const errors: unknown[] = [];
    const got: VoiceToken[] = [];
    const keeper = new TokenKeeper({
      fetch: async () => {
        if (fail) throw new Error('502');
        return { token: 'ok', identity: 'vbx', expires_at: timers.now() + 100_000 };
      },
      onToken: (t) => got.push(t),
      onError: (e) => errors.push(e),
      timers,
    });
    await keeper.start();
    fail = true;
    timers.advance(80_000);
    await flush();
    expect(errors.length).toBe(1);
    expect(timers.pending).toEqual([1000]);
    timers.advance(1000);
    await flush();
    expect(timers.pending).toEqual([2000]);
    fail = false;
    timers.advance(2000);
    await flush();
    expect(got.length).toBe(1);
    expect(errors.length).toBe(2);
  });

  it('stops refreshing when stopped', async () => {
    const timers = new FakeTimers();
    let calls = 0;
    const keeper = new TokenKeeper({
      fetch: async () => ({ token: `t${++calls}`, identity: 'vbx', expires_at: timers.now() + HOUR }),
      onToken: () => {},
      onError: () => {},
      timers,
    });
    await keeper.start();
    keeper.stop();
    timers.advance(10 * HOUR);
    await flush();
    expect(calls).toBe(1);
  });
});
