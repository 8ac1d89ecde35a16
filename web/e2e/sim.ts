// The simulator's control API (crates/twilio-sim/README.md, "Control API"), as the end-to-end
// suite uses it: play the other party of texts and calls, and read what reached "Twilio".

export interface SimMessage {
  sid: string;
  from: string;
  to: string;
  body: string;
  status: string;
  direction: string;
}

export interface SimCall {
  sid: string;
  from: string;
  to: string;
  status: string;
  direction: string;
  parent_call_sid: string | null;
}

export interface CallDetail {
  call: SimCall;
  trace: { statuses: string[]; transcript: string[]; events: string[] };
  children: (SimCall | { call: SimCall })[];
}

export class SimControl {
  constructor(readonly base: string) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`simulator ${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  /** A text from `from` to vbx's number. */
  async textIn(from: string, to: string, body: string): Promise<string> {
    return (await this.request<{ sid: string }>('POST', '/messages/incoming', { from, to, body, media: [] })).sid;
  }

  async messages(): Promise<SimMessage[]> {
    return (await this.request<{ messages: SimMessage[] }>('GET', '/messages')).messages;
  }

  /**
   * A call from `from` to vbx's number; the caller stays on the line until hung up. `script`: the
   * keys pressed at each menu, how long the caller speaks into a recording, what its transcript says.
   */
  async callIn(from: string, to: string, script: { digits?: string[]; record_seconds?: number; transcription?: string } = {}): Promise<string> {
    return (await this.request<{ sid: string }>('POST', '/calls/incoming', { from, to, ...script })).sid;
  }

  /** The SIDs of the recordings "Twilio" holds (deleted ones are gone). */
  async recordings(): Promise<string[]> {
    return (await this.request<{ recordings: { sid: string }[] }>('GET', '/recordings')).recordings.map((r) => r.sid);
  }

  async calls(): Promise<SimCall[]> {
    return (await this.request<{ calls: SimCall[] }>('GET', '/calls')).calls;
  }

  call(sid: string): Promise<CallDetail> {
    return this.request('GET', `/calls/${sid}`);
  }

  hangup(sid: string): Promise<unknown> {
    return this.request('POST', `/calls/${sid}/hangup`);
  }

  /** How a phone number behaves when vbx dials it. */
  party(number: string, party: 'answer' | 'busy' | 'no-answer' | 'failed' | 'manual', talkSeconds = 30): Promise<unknown> {
    return this.request('POST', '/parties', { number, party, talk_seconds: talkSeconds });
  }

  settings(patch: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.request('POST', '/settings', patch);
  }

  /** Everything the simulator heard on a call and its legs (`digits: 5`, …). */
  async transcript(sid: string): Promise<string[]> {
    const detail = await this.call(sid);
    const lines = [...(detail.trace?.transcript ?? []), ...(detail.trace?.events ?? [])];
    for (const child of detail.children ?? []) {
      const c = 'call' in child ? child.call : child;
      const sub = await this.call(c.sid).catch(() => null);
      if (sub) lines.push(...(sub.trace?.transcript ?? []), ...(sub.trace?.events ?? []));
    }
    return lines;
  }

  /** The legs a call dialed. */
  async children(sid: string): Promise<SimCall[]> {
    const detail = await this.call(sid);
    return (detail.children ?? []).map((c) => ('call' in c ? c.call : c));
  }
}

/** Polls `check` until it returns something truthy; the error names what was awaited. */
export async function eventually<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
