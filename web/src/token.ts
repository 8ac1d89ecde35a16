// Keeps the Voice access token fresh: fetches a new one well before `expires_at` and hands it to
// the voice layer, retrying with backoff when vbx cannot mint one.

import { backoffDelay, browserTimers, type Timers } from './live';
import type { VoiceToken } from './types';

/** When to refresh a token: 5 minutes before it expires, or at 80% of the life of a short one. */
export function refreshDelay(token: VoiceToken, now: number): number {
  const left = token.expires_at - now;
  if (left <= 0) return 0;
  return Math.max(left - 5 * 60_000, Math.floor(left * 0.8));
}

export interface TokenKeeperOptions {
  fetch: () => Promise<VoiceToken>;
  onToken: (token: VoiceToken) => void;
  onError: (error: unknown) => void;
  timers?: Timers;
}

export class TokenKeeper {
  private timer: unknown = null;
  private failures = 0;
  private stopped = true;
  private readonly timers: Timers;

  constructor(private readonly opts: TokenKeeperOptions) {
    this.timers = opts.timers ?? browserTimers;
  }

  /** Fetches the first token; the caller registers with it. Refreshes follow by themselves. */
  async start(): Promise<VoiceToken> {
    this.stopped = false;
    const token = await this.opts.fetch();
    this.schedule(refreshDelay(token, this.timers.now()));
    return token;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Refresh now (the SDK said the token is about to expire). */
  refreshNow(): void {
    if (this.stopped) return;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    void this.refresh();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, ms);
  }

  private async refresh(): Promise<void> {
    try {
      const token = await this.opts.fetch();
      if (this.stopped) return;
      this.failures = 0;
      this.opts.onToken(token);
      this.schedule(refreshDelay(token, this.timers.now()));
    } catch (e) {
      if (this.stopped) return;
      this.opts.onError(e);
      this.schedule(backoffDelay(this.failures, this.timers.random()));
      this.failures += 1;
    }
  }
}
