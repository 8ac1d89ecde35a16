// @vitest-environment happy-dom
// The Phone over the simulator's voice layer (SimVoice) with a socket the test plays the
// server of: what it does when a call is hung up while being placed, and when its registration
// is lost.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Api } from '../src/api';
import { Phone } from '../src/phone';
import { initialState, Store } from '../src/store';
import { SimVoice } from '../src/voice/sim';
import { FakeTimers, SocketFactory } from './fakes';

describe('Phone', () => {
  let sockets: SocketFactory;
  let store: Store;
  let phone: Phone;
  let tokens: number;
  let toasts: string[];

  beforeEach(async () => {
    vi.useFakeTimers();
    sockets = new SocketFactory();
    store = new Store(initialState({ name: 'inbox' }));
    store.update({ session: { user: 'u', number: '+15550000000', identity: 'vbx' } as never, contacts: [] });
    tokens = 0;
    toasts = [];
    const api = {
      token: async () => {
        tokens += 1;
        return { token: `tok-${tokens}`, identity: 'vbx', expires_at: Date.now() + 3_600_000 };
      },
    } as unknown as Api;
    phone = new Phone({
      api,
      store,
      createVoice: () => new SimVoice({ url: 'ws://sim/_sim/client', open: sockets.open, timers: new FakeTimers(), microphone: async () => null }),
      reportRegistered: () => {},
      nameOf: () => null,
      navigate: () => {},
      toast: (t) => toasts.push(t),
    });
    const started = phone.start({ kind: 'sim', url: 'ws://sim/_sim/client' });
    await vi.waitFor(() => expect(sockets.sockets.length).toBe(1));
    sockets.last.open();
    sockets.last.receive({ type: 'registered', identity: 'vbx' });
    await started;
    expect(store.state.voice.status).toBe('registered');
  });

  afterEach(() => {
    phone.stop();
    vi.useRealTimers();
  });

  it('hangs up an outgoing call that was hung up while it was still being placed', async () => {
    const dialing = phone.dial('+15550001234');
    expect(store.state.call?.state).toBe('dialing');
    await vi.waitFor(() => expect(sockets.last.sent).toContainEqual({ type: 'connect', params: { To: '+15550001234' } }));
    phone.hangup();
    expect(store.state.call).toBeNull();
    // Only now does the call get its SID.
    sockets.last.receive({ type: 'outgoing', call_sid: 'CA9' });
    await dialing;
    expect(sockets.last.sent).toContainEqual({ type: 'hangup', call_sid: 'CA9' });
    expect(store.state.call).toBeNull();
  });

  it('registers again by itself, with a new token, after the token was refused', async () => {
    sockets.last.receive({ type: 'error', code: 20104, message: 'Access token expired' });
    expect(store.state.voice.status).not.toBe('registered');
    await vi.advanceTimersByTimeAsync(35_000);
    const again = sockets.last;
    expect(sockets.sockets.length).toBe(2);
    again.open();
    expect(again.sent[0]).toEqual({ type: 'register', token: 'tok-2' });
    again.receive({ type: 'registered', identity: 'vbx' });
    await vi.waitFor(() => expect(store.state.voice.status).toBe('registered'));
  });

  it('says "Call ended" for a while, not for ever', async () => {
    sockets.last.receive({ type: 'incoming', call_sid: 'CA1', from: '+15551230000', to: 'client:vbx', params: {} });
    await phone.answer('CA1');
    sockets.last.receive({ type: 'connected', call_sid: 'CA1' });
    sockets.last.receive({ type: 'disconnected', call_sid: 'CA1' });
    expect(toasts).toEqual(['Call ended']);
    expect(store.state.toast).toBeNull();
  });
});
