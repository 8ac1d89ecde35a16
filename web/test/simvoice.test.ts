import { beforeEach, describe, expect, it } from 'vitest';
import type { VoiceError, VoiceEvents } from '../src/voice/layer';
import { SimVoice } from '../src/voice/sim';
import { FakeTimers, SocketFactory } from './fakes';

describe('SimVoice', () => {
  let sockets: SocketFactory;
  let timers: FakeTimers;
  let mic: VoiceError | null;
  let voice: SimVoice;
  let seen: { event: keyof VoiceEvents; data: unknown }[];

  beforeEach(() => {
    sockets = new SocketFactory();
    timers = new FakeTimers();
    mic = null;
    voice = new SimVoice({ url: 'ws://sim/_sim/client', open: sockets.open, timers, microphone: async () => mic });
    seen = [];
    for (const e of ['registered', 'unregistered', 'incoming', 'canceled', 'connected', 'disconnected', 'outgoing', 'error'] as const) {
      voice.on(e, (data) => seen.push({ event: e, data }));
    }
  });

  async function registered(): Promise<void> {
    const p = voice.register('tok-1');
    sockets.last.open();
    sockets.last.receive({ type: 'registered', identity: 'vbx' });
    await p;
    seen = [];
  }

  it('registers with the token as the first frame and resolves on registered', async () => {
    const p = voice.register('tok-1');
    expect(sockets.last.url).toBe('ws://sim/_sim/client');
    sockets.last.open();
    expect(sockets.last.sent).toEqual([{ type: 'register', token: 'tok-1' }]);
    sockets.last.receive({ type: 'registered', identity: 'vbx' });
    await expect(p).resolves.toBeUndefined();
    expect(voice.isRegistered).toBe(true);
    expect(seen).toEqual([{ event: 'registered', data: { identity: 'vbx' } }]);
  });

  it('fails registration with a token error when the simulator refuses the token, and stops', async () => {
    const p = voice.register('bad');
    sockets.last.open();
    sockets.last.receive({ type: 'error', code: 20101, message: 'Invalid Access Token' });
    await expect(p).rejects.toMatchObject({ error: { kind: 'token', code: 20101 } });
    expect(sockets.last.closed).toBe(true);
    timers.advance(60_000);
    expect(sockets.sockets.length).toBe(1);
  });

  it('rings, answers, sends digits and hangs up in the protocol order', async () => {
    await registered();
    const s = sockets.last;
    s.receive({ type: 'incoming', call_sid: 'CA1', from: '+15551230000', to: 'client:vbx', params: { Foo: 'bar', n: 3 } });
    expect(seen).toEqual([{ event: 'incoming', data: { id: 'CA1', from: '+15551230000', to: 'client:vbx', params: { Foo: 'bar' } } }]);
    expect(voice.callState('CA1')).toBe('ringing');

    voice.sendDigits('CA1', '1'); // not yet answered: nothing is sent
    await voice.accept('CA1');
    s.receive({ type: 'connected', call_sid: 'CA1' });
    expect(voice.callState('CA1')).toBe('open');
    voice.sendDigits('CA1', '42#');
    voice.sendDigits('CA1', 'x'); // not a DTMF digit
    voice.hangup('CA1');
    s.receive({ type: 'disconnected', call_sid: 'CA1' });

    expect(s.sent.slice(1)).toEqual([
      { type: 'accept', call_sid: 'CA1' },
      { type: 'digits', call_sid: 'CA1', digits: '42#' },
      { type: 'hangup', call_sid: 'CA1' },
    ]);
    expect(seen.map((e) => e.event)).toEqual(['incoming', 'connected', 'disconnected']);
    expect(voice.callState('CA1')).toBeNull();
  });

  it('reports a caller who hangs up while ringing as canceled', async () => {
    await registered();
    sockets.last.receive({ type: 'incoming', call_sid: 'CA2', from: '+1', to: 'client:vbx' });
    sockets.last.receive({ type: 'canceled', call_sid: 'CA2' });
    expect(seen.map((e) => e.event)).toEqual(['incoming', 'canceled']);
    await expect(voice.accept('CA2')).rejects.toThrow(/no longer ringing/);
  });

  it('rejects a ringing call', async () => {
    await registered();
    sockets.last.receive({ type: 'incoming', call_sid: 'CA3', from: '+1', to: 'client:vbx' });
    voice.reject('CA3');
    voice.reject('CA3');
    expect(sockets.last.sent.slice(1)).toEqual([{ type: 'reject', call_sid: 'CA3' }]);
  });

  it('does not answer when the microphone is refused, and says why', async () => {
    await registered();
    sockets.last.receive({ type: 'incoming', call_sid: 'CA4', from: '+1', to: 'client:vbx' });
    mic = { kind: 'microphone', code: 31401, message: 'The microphone is blocked.' };
    await expect(voice.accept('CA4')).rejects.toMatchObject({ error: { kind: 'microphone' } });
    expect(sockets.last.sent.slice(1)).toEqual([]);
    expect(seen.at(-1)).toEqual({ event: 'error', data: mic });
    expect(voice.callState('CA4')).toBe('ringing');
  });

  it('places an outgoing call and resolves with the call sid from the simulator', async () => {
    await registered();
    const p = voice.connect('+15559998888');
    await Promise.resolve();
    expect(sockets.last.sent.at(-1)).toEqual({ type: 'connect', params: { To: '+15559998888' } });
    sockets.last.receive({ type: 'outgoing', call_sid: 'CA9' });
    await expect(p).resolves.toBe('CA9');
    expect(voice.callState('CA9')).toBe('dialing');
    sockets.last.receive({ type: 'connected', call_sid: 'CA9' });
    expect(voice.callState('CA9')).toBe('open');
  });

  it('fails an outgoing call the simulator refuses', async () => {
    await registered();
    const p = voice.connect('+15559998888');
    await Promise.resolve();
    sockets.last.receive({ type: 'error', code: 31486, message: 'Busy' });
    await expect(p).rejects.toMatchObject({ error: { kind: 'call', code: 31486 } });
  });

  it('refuses to place a call before it is registered', async () => {
    await expect(voice.connect('+1')).rejects.toThrow(/not connected/);
  });

  it('sends a new token when it is refreshed', async () => {
    await registered();
    voice.updateToken('tok-2');
    expect(sockets.last.sent.at(-1)).toEqual({ type: 'update_token', token: 'tok-2' });
  });

  it('ends calls, reports unregistered and re-registers with the newest token after a drop', async () => {
    await registered();
    sockets.last.receive({ type: 'incoming', call_sid: 'CA5', from: '+1', to: 'client:vbx' });
    voice.updateToken('tok-3');
    sockets.last.drop();
    expect(seen.map((e) => e.event)).toEqual(['incoming', 'canceled', 'unregistered', 'error']);
    expect(seen.at(-1)?.data).toMatchObject({ kind: 'unreachable' });
    expect(voice.isRegistered).toBe(false);
    timers.advance(1000);
    expect(sockets.sockets.length).toBe(2);
    sockets.last.open();
    expect(sockets.last.sent).toEqual([{ type: 'register', token: 'tok-3' }]);
    sockets.last.receive({ type: 'registered', identity: 'vbx' });
    expect(voice.isRegistered).toBe(true);
  });

  it('closes the socket and stops reconnecting on unregister', async () => {
    await registered();
    const s = sockets.last;
    await voice.unregister();
    expect(s.closed).toBe(true);
    expect(seen.map((e) => e.event)).toEqual(['unregistered']);
    timers.advance(60_000);
    expect(sockets.sockets.length).toBe(1);
  });

  it('ignores frames it does not understand', async () => {
    await registered();
    sockets.last.receive('nonsense');
    sockets.last.receive({ type: 'connected', call_sid: 'CA-unknown' });
    sockets.last.receive({ type: 'incoming' });
    sockets.last.receive({ type: 'later-feature', x: 1 });
    expect(seen).toEqual([]);
  });
});

describe('SimVoice after a refused token refresh', () => {
  it('reports unregistered, ends calls and does not reconnect with the refused token', async () => {
    const sockets = new SocketFactory();
    const timers = new FakeTimers();
    const voice = new SimVoice({ url: 'ws://sim/_sim/client', open: sockets.open, timers, microphone: async () => null });
    const events: string[] = [];
    for (const e of ['unregistered', 'canceled', 'error'] as const) voice.on(e, () => events.push(e));
    const p = voice.register('tok-1');
    sockets.last.open();
    sockets.last.receive({ type: 'registered', identity: 'vbx' });
    await p;
    sockets.last.receive({ type: 'incoming', call_sid: 'CA1', from: '+1', to: 'client:vbx' });
    voice.updateToken('tok-bad');
    sockets.last.receive({ type: 'error', code: 20104, message: 'the access token has expired' });
    expect(events).toEqual(['canceled', 'unregistered', 'error']);
    expect(sockets.last.closed).toBe(true);
    expect(voice.isRegistered).toBe(false);
    timers.advance(120_000);
    expect(sockets.sockets.length).toBe(1);
  });
});
