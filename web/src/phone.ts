// The browser phone: registers the voice layer with a fresh token, tells vbx over `/ws` whether
// this tab can ring, and turns voice events into the ringing banner, the active call and banners.

import { ApiError, type Api } from './api';
import { formatNumber, parseNumber } from './format';
import { backoffDelay } from './live';
import { notify, pageIsWatched } from './notify';
import type { Store } from './store';
import { TokenKeeper } from './token';
import type { Contact, VoiceConfig } from './types';
import { checkMicrophone, VoiceFailure, type VoiceError, type VoiceLayer } from './voice/layer';

export interface PhoneDeps {
  api: Api;
  store: Store;
  createVoice: (config: VoiceConfig | undefined) => VoiceLayer;
  /** Reports this tab's registration to the server (over `/ws`). */
  reportRegistered: (registered: boolean) => void;
  nameOf: (number: string) => string | null;
  navigate: (path: string) => void;
  /** A short message that goes away by itself. */
  toast: (text: string) => void;
  now?: () => number;
}

/** How often a phone that should be registered but is not tries again by itself. */
const WATCHDOG_MS = 30_000;

const INPUT_KEY = 'vbx.input';
const OUTPUT_KEY = 'vbx.output';

/** What the dial pad's text means: a number, a contact's number, or nothing yet. */
export function resolveDialTarget(input: string, contacts: Contact[], own: string): { number: string; name: string | null } | null {
  const n = parseNumber(input, own);
  if (n) return { number: n, name: contacts.find((c) => c.number === n)?.name ?? null };
  const matches = matchContacts(input, contacts);
  const first = matches[0];
  return first ? { number: first.number, name: first.name } : null;
}

/** Contacts whose name starts with (or has a word starting with) the text typed, best first. */
export function matchContacts(input: string, contacts: Contact[]): Contact[] {
  const q = input.trim().toLowerCase();
  if (q === '' || /^[\d\s()+*#.-]+$/.test(q)) {
    const digits = q.replace(/\D/g, '');
    if (digits.length < 3) return [];
    return contacts.filter((c) => c.number.replace(/\D/g, '').includes(digits));
  }
  const score = (c: Contact): number => {
    const name = c.name.toLowerCase();
    if (name.startsWith(q)) return 0;
    if (name.split(/\s+/).some((w) => w.startsWith(q))) return 1;
    return name.includes(q) ? 2 : 3;
  };
  return contacts
    .map((c) => ({ c, s: score(c) }))
    .filter((x) => x.s < 3)
    .sort((a, b) => a.s - b.s || a.c.name.localeCompare(b.c.name))
    .map((x) => x.c);
}

export class Phone {
  private voice: VoiceLayer | null = null;
  private tokens: TokenKeeper | null = null;
  private wanted = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private registering = false;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  /** The "Incoming call" notification of each ringing call, closed when it stops ringing. */
  private ringing = new Map<string, Notification>();
  private readonly now: () => number;

  constructor(private readonly deps: PhoneDeps) {
    this.now = deps.now ?? Date.now;
  }

  get registered(): boolean {
    return this.deps.store.state.voice.status === 'registered';
  }

  async start(config: VoiceConfig | undefined): Promise<void> {
    this.wanted = true;
    const voice = this.deps.createVoice(config);
    this.voice = voice;
    this.wire(voice);
    const input = localStorage.getItem(INPUT_KEY);
    const output = localStorage.getItem(OUTPUT_KEY);
    this.deps.store.update((s) => ({ devices: { ...s.devices, input, output } }));
    await voice.setInputDevice(input);
    await voice.setOutputDevice(output);
    this.tokens = new TokenKeeper({
      fetch: () => this.deps.api.token(),
      onToken: (t) => {
        this.deps.store.clearBanner('token');
        this.voice?.updateToken(t.token);
      },
      onError: (e) => this.tokenFailed(e),
    });
    this.watchdog = setInterval(() => this.recover(), WATCHDOG_MS);
    await this.register();
  }

  /**
   * Registers again if the phone should be registered and is not, and nothing is already on
   * it: after a laptop slept past its token, or Twilio's signaling was away longer than the SDK
   * retries. Also called when the browser comes back online or the tab is shown again.
   */
  recover(): void {
    if (!this.wanted || this.registering || this.retryTimer || this.registered) return;
    void this.register();
  }

  stop(): void {
    this.wanted = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    for (const n of this.ringing.values()) n.close();
    this.ringing.clear();
    this.tokens?.stop();
    this.voice?.destroy();
    this.voice = null;
    this.deps.store.update({ voice: { status: 'off', error: null }, incoming: [], call: null });
  }

  /** (Re)registers with a new token; failures show a banner and retry with backoff. */
  async register(): Promise<void> {
    const voice = this.voice;
    const tokens = this.tokens;
    if (!voice || !tokens || !this.wanted) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.registering = true;
    this.deps.store.update({ voice: { status: 'registering', error: null } });
    try {
      tokens.stop();
      const token = await tokens.start();
      await voice.register(token.token);
      this.failures = 0;
    } catch (e) {
      if (e instanceof ApiError) this.tokenFailed(e);
      else this.voiceFailed(e instanceof VoiceFailure ? e.error : { kind: 'other', code: null, message: String((e as Error)?.message ?? e) });
      this.deps.store.update({ voice: { status: 'failed', error: null } });
      this.scheduleRetry();
    } finally {
      this.registering = false;
    }
  }

  private scheduleRetry(): void {
    if (!this.wanted) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const delay = backoffDelay(this.failures + 2, Math.random());
    this.failures += 1;
    this.retryTimer = setTimeout(() => void this.register(), delay);
  }

  private tokenFailed(e: unknown): void {
    const { store } = this.deps;
    if (e instanceof ApiError && e.code === 'twilio') {
      store.setBanner({ key: 'twilio', tone: 'error', text: `Twilio is unreachable: ${e.message}`, action: { label: 'Retry', run: () => void this.register() } });
    } else if (e instanceof ApiError && e.offline) {
      // The connection banner already says vbx is unreachable.
    } else {
      const why = e instanceof Error ? e.message : String(e);
      store.setBanner({ key: 'token', tone: 'error', text: `vbx could not issue a phone token, so calls cannot ring here: ${why}`, action: { label: 'Retry', run: () => void this.register() } });
    }
  }

  private voiceFailed(error: VoiceError): void {
    const { store } = this.deps;
    const retry = { label: 'Retry', run: () => void this.register() };
    switch (error.kind) {
      case 'token':
        store.setBanner({ key: 'token', tone: 'error', text: `Twilio refused the phone token (${error.message}). Check twilio.api_key, api_secret and app_sid in the vbx config.`, action: retry });
        return;
      case 'unreachable':
        store.setBanner({ key: 'twilio', tone: 'error', text: `Twilio is unreachable: ${error.message} Calls cannot ring here until it is back.`, action: retry });
        return;
      case 'microphone':
        store.setBanner({ key: 'microphone', tone: 'error', text: error.message, action: { label: 'Settings', run: () => this.deps.navigate('/settings') } });
        return;
      default:
        store.setBanner({ key: 'voice', tone: 'warning', text: error.message });
    }
  }

  private wire(voice: VoiceLayer): void {
    const { store } = this.deps;
    voice.on('registered', () => {
      this.failures = 0;
      store.update({ voice: { status: 'registered', error: null } });
      store.clearBanner('token');
      store.clearBanner('twilio');
      this.deps.reportRegistered(true);
    });
    voice.on('unregistered', () => {
      this.deps.reportRegistered(false);
      if (!this.wanted) return;
      // Not asked for (signaling lost, token refused): register again by itself, with backoff.
      store.update({ voice: { status: 'registering', error: null } });
      if (!this.registering) this.scheduleRetry();
    });
    voice.on('tokenWillExpire', () => this.tokens?.refreshNow());
    voice.on('error', (error) => {
      this.voiceFailed(error);
      // A token refused outside a registration (a refresh, a reconnect after sleeping): register
      // again with a new one. A registration in progress retries by itself when it fails.
      if (error.kind === 'token' && !this.registering) {
        store.update({ voice: { status: 'failed', error } });
        this.deps.reportRegistered(false);
        this.scheduleRetry();
      }
    });
    voice.on('sound', ({ blocked }) => {
      if (!blocked) {
        store.clearBanner('sound');
        return;
      }
      store.setBanner({
        key: 'sound',
        tone: 'warning',
        text: 'This browser keeps the page silent until you click on it, so a call would ring without sound.',
        action: { label: 'Enable sound', run: () => void this.voice?.enableSound() },
      });
      // Any click or key on the page counts as the gesture the browser waits for. On `click`,
      // not `pointerdown`: the banner leaving moves the page, which must not happen between the
      // press and the release of a click on, say, Answer.
      const unlock = () => {
        window.removeEventListener('click', unlock, true);
        window.removeEventListener('keydown', unlock, true);
        void this.voice?.enableSound();
      };
      window.addEventListener('click', unlock, true);
      window.addEventListener('keydown', unlock, true);
    });
    voice.onIncoming((call) => {
      store.update((s) => ({ incoming: [...s.incoming.filter((c) => c.id !== call.id), call] }));
      const n = notify('Incoming call', this.who(call.from), `call-${call.id}`, () => {}, true);
      if (n) this.ringing.set(call.id, n);
    });
    voice.on('canceled', ({ id }) => {
      const call = store.state.incoming.find((c) => c.id === id);
      this.stopRinging(id);
      store.update((s) => ({
        incoming: s.incoming.filter((c) => c.id !== id),
        missedWhileAway: call && !pageIsWatched() ? s.missedWhileAway + 1 : s.missedWhileAway,
        call: s.call?.id === id ? null : s.call,
      }));
      if (call) {
        const who = this.who(call.from);
        notify('Missed call', who, `missed-${id}`, () => this.deps.navigate(`/t/${encodeURIComponent(call.from)}`));
      }
    });
    voice.on('connected', ({ id }) => {
      this.stopRinging(id);
      store.update((s) => (s.call?.id === id ? { call: { ...s.call, state: 'open', startedAt: this.now() } } : {}));
    });
    voice.on('outgoing', ({ id, localId }) => {
      store.update((s) => (s.call?.id === localId ? { call: { ...s.call, sid: id } } : {}));
    });
    voice.on('quality', ({ id, problem }) => {
      store.update((s) => (s.call?.id === id ? { call: { ...s.call, problem } } : {}));
    });
    voice.on('disconnected', ({ id }) => {
      this.stopRinging(id);
      const ended = store.state.call?.id === id;
      store.update((s) => ({ call: ended ? null : s.call, incoming: s.incoming.filter((c) => c.id !== id) }));
      if (ended) this.deps.toast('Call ended');
    });
  }

  private who(number: string): string {
    return this.deps.nameOf(number) ?? formatNumber(number, this.deps.store.state.session?.number);
  }

  private stopRinging(id: string): void {
    this.ringing.get(id)?.close();
    this.ringing.delete(id);
  }

  async answer(id: string): Promise<void> {
    const { store } = this.deps;
    const voice = this.voice;
    const call = store.state.incoming.find((c) => c.id === id);
    if (!voice || !call) return;
    if (store.state.call) this.hangup();
    this.stopRinging(id);
    store.update((s) => ({
      incoming: s.incoming.filter((c) => c.id !== id),
      call: { id, sid: id, direction: 'inbound', number: call.from, state: 'connecting', startedAt: null, muted: false, digits: '', problem: null },
    }));
    try {
      await voice.accept(id);
      store.clearBanner('microphone');
    } catch (e) {
      // Keep it ringing so the user can fix the microphone and answer again.
      store.update((s) => ({ call: s.call?.id === id ? null : s.call, incoming: [...s.incoming, call] }));
      if (!(e instanceof VoiceFailure)) store.setBanner({ key: 'voice', tone: 'warning', text: (e as Error).message });
    }
  }

  reject(id: string): void {
    this.stopRinging(id);
    this.voice?.reject(id);
    this.deps.store.update((s) => ({ incoming: s.incoming.filter((c) => c.id !== id) }));
  }

  /** Calls what the dial pad holds: a number or a contact's name. */
  async dial(input: string): Promise<string | null> {
    const { store } = this.deps;
    const own = store.state.session?.number ?? '+1';
    const target = resolveDialTarget(input, store.state.contacts ?? [], own);
    if (!target) return 'Type a phone number or the name of a contact.';
    if (store.state.call) return 'Hang up the current call first.';
    const voice = this.voice;
    if (!voice || !this.registered) return 'The phone is not connected yet; see the banner above.';
    const placeholder = `dialing-${this.now()}`;
    const stillPlacing = () => store.state.call?.id === placeholder;
    store.update({ call: { id: placeholder, sid: null, direction: 'outbound', number: target.number, state: 'dialing', startedAt: null, muted: false, digits: '', problem: null } });
    try {
      const id = await voice.connect(target.number);
      if (!stillPlacing()) {
        // Hung up while the call was being placed: end it now that it can be named.
        voice.hangup(id);
        return null;
      }
      store.update((s) => (s.call?.id === placeholder ? { call: { ...s.call, id } } : {}));
      return null;
    } catch (e) {
      store.update((s) => (s.call?.id === placeholder ? { call: null } : {}));
      return e instanceof Error ? e.message : 'The call could not be placed.';
    }
  }

  hangup(): void {
    const call = this.deps.store.state.call;
    if (!call) return;
    this.voice?.hangup(call.id);
    this.deps.store.update({ call: null });
    this.deps.toast('Call ended');
  }

  toggleMute(): void {
    const call = this.deps.store.state.call;
    if (!call) return;
    this.voice?.mute(call.id, !call.muted);
    this.deps.store.update({ call: { ...call, muted: !call.muted } });
  }

  sendDigit(digit: string): void {
    const call = this.deps.store.state.call;
    if (!call || call.state !== 'open' || !/^[0-9*#]$/.test(digit)) return;
    this.voice?.sendDigits(call.id, digit);
    this.deps.store.update({ call: { ...call, digits: call.digits + digit } });
  }

  /** Asks for the microphone (a banner says so if refused), then lists the devices by name. */
  async allowMicrophone(): Promise<void> {
    const problem = await checkMicrophone(this.deps.store.state.devices.input);
    if (problem) this.voiceFailed(problem);
    else this.deps.store.clearBanner('microphone');
    await this.refreshDevices();
  }

  /** Lists microphones and speakers (labels appear once the microphone was allowed). */
  async refreshDevices(): Promise<void> {
    const media = navigator.mediaDevices;
    if (!media?.enumerateDevices) return;
    try {
      const all = await media.enumerateDevices();
      const label = (d: MediaDeviceInfo, i: number, what: string): string => d.label || `${what} ${i + 1}`;
      const inputs = all.filter((d) => d.kind === 'audioinput').map((d, i) => ({ id: d.deviceId, label: label(d, i, 'Microphone') }));
      const outputs = all.filter((d) => d.kind === 'audiooutput').map((d, i) => ({ id: d.deviceId, label: label(d, i, 'Speaker') }));
      const outputSupported = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
      this.deps.store.update((s) => ({ devices: { ...s.devices, inputs, outputs, outputSupported } }));
    } catch {
      // Listing devices is a convenience; the default devices still work.
    }
  }

  async setInput(id: string | null): Promise<void> {
    if (id) localStorage.setItem(INPUT_KEY, id);
    else localStorage.removeItem(INPUT_KEY);
    this.deps.store.update((s) => ({ devices: { ...s.devices, input: id } }));
    await this.voice?.setInputDevice(id);
  }

  async setOutput(id: string | null): Promise<void> {
    if (id) localStorage.setItem(OUTPUT_KEY, id);
    else localStorage.removeItem(OUTPUT_KEY);
    this.deps.store.update((s) => ({ devices: { ...s.devices, output: id } }));
    await this.voice?.setOutputDevice(id);
  }
}
