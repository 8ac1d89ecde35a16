// SimVoice: the voice layer for `vbx demo` and the tests. It speaks the simulator's browser-client
// WebSocket protocol (crates/twilio-sim/README.md): register with the access token, then incoming
// / canceled / connected / disconnected from the server, accept / reject / hangup / digits /
// connect from here. No audio flows; the simulator plays the other party.

import { backoffDelay, browserTimers, type SocketLike, type Timers } from '../live';
import {
  checkMicrophone,
  classifyError,
  Emitter,
  type IncomingCall,
  type VoiceError,
  type VoiceEventName,
  type VoiceEvents,
  type VoiceLayer,
  VoiceFailure,
} from './layer';

type CallState = 'ringing' | 'dialing' | 'open';

interface SimCall {
  state: CallState;
  muted: boolean;
}

interface PendingConnect {
  resolve: (id: string) => void;
  reject: (e: Error) => void;
}

export interface SimVoiceOptions {
  url: string;
  open?: (url: string) => SocketLike;
  timers?: Timers;
  /** Checks microphone access before a call starts; tests pass a stub. */
  microphone?: (deviceId: string | null) => Promise<VoiceError | null>;
}

export class SimVoice implements VoiceLayer {
  readonly kind = 'sim' as const;
  private readonly events = new Emitter<VoiceEvents>();
  private socket: SocketLike | null = null;
  private token: string | null = null;
  private wanted = false;
  private registered = false;
  private attempt = 0;
  private timer: unknown = null;
  private calls = new Map<string, SimCall>();
  private connects: PendingConnect[] = [];
  private waiting: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private inputDevice: string | null = null;
  private readonly open: (url: string) => SocketLike;
  private readonly timers: Timers;
  private readonly microphone: (deviceId: string | null) => Promise<VoiceError | null>;

  constructor(private readonly opts: SimVoiceOptions) {
    this.open = opts.open ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.timers = opts.timers ?? browserTimers;
    this.microphone = opts.microphone ?? checkMicrophone;
  }

  on<E extends VoiceEventName>(event: E, fn: (data: VoiceEvents[E]) => void): () => void {
    return this.events.on(event, fn);
  }

  onIncoming(fn: (call: IncomingCall) => void): () => void {
    return this.events.on('incoming', fn);
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  /** The state of a call this layer knows (for tests and the UI). */
  callState(id: string): CallState | null {
    return this.calls.get(id)?.state ?? null;
  }

  register(token: string): Promise<void> {
    this.token = token;
    this.wanted = true;
    if (this.registered) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
    if (!this.socket) {
      this.clearTimer();
      this.connectSocket();
    }
    return done;
  }

  async unregister(): Promise<void> {
    this.wanted = false;
    this.clearTimer();
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.close(1000, 'unregister');
    }
    this.dropAll();
    if (this.registered) {
      this.registered = false;
      this.events.emit('unregistered', {});
    }
  }

  updateToken(token: string): void {
    this.token = token;
    if (this.registered) this.send({ type: 'update_token', token });
  }

  async accept(id: string): Promise<void> {
    const call = this.calls.get(id);
    if (!call || call.state !== 'ringing') throw new Error('That call is no longer ringing.');
    const problem = await this.microphone(this.inputDevice);
    if (problem) {
      this.events.emit('error', problem);
      throw new VoiceFailure(problem);
    }
    if (this.calls.get(id) !== call) throw new Error('That call is no longer ringing.');
    this.send({ type: 'accept', call_sid: id });
  }

  reject(id: string): void {
    if (!this.calls.delete(id)) return;
    this.send({ type: 'reject', call_sid: id });
  }

  hangup(id: string): void {
    if (!this.calls.has(id)) return;
    this.send({ type: 'hangup', call_sid: id });
  }

  sendDigits(id: string, digits: string): void {
    const call = this.calls.get(id);
    if (!call || call.state !== 'open' || !/^[0-9*#wW]+$/.test(digits)) return;
    this.send({ type: 'digits', call_sid: id, digits });
  }

  mute(id: string, muted: boolean): void {
    const call = this.calls.get(id);
    if (call) call.muted = muted;
  }

  isMuted(id: string): boolean {
    return this.calls.get(id)?.muted ?? false;
  }

  async connect(to: string): Promise<string> {
    if (!this.registered) throw new Error('The phone is not connected yet.');
    const problem = await this.microphone(this.inputDevice);
    if (problem) {
      this.events.emit('error', problem);
      throw new VoiceFailure(problem);
    }
    return new Promise<string>((resolve, reject) => {
      this.connects.push({ resolve, reject });
      this.send({ type: 'connect', params: { To: to } });
    });
  }

  async setInputDevice(deviceId: string | null): Promise<void> {
    this.inputDevice = deviceId;
  }

  async setOutputDevice(_deviceId: string | null): Promise<void> {
    // The simulator sends no audio, so there is nothing to route.
  }

  async enableSound(): Promise<void> {
    // Nor any sound to let through.
  }

  destroy(): void {
    void this.unregister();
    this.events.clear();
  }

  private send(frame: Record<string, unknown>): void {
    this.socket?.send(JSON.stringify(frame));
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private connectSocket(): void {
    let socket: SocketLike;
    try {
      socket = this.open(this.opts.url);
    } catch {
      this.lost('The phone service (simulator) cannot be reached.');
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket === socket && this.token !== null) this.send({ type: 'register', token: this.token });
    };
    socket.onmessage = (ev) => {
      if (this.socket === socket && typeof ev.data === 'string') this.onFrame(ev.data);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.lost('The connection to the phone service (simulator) was lost.');
    };
    socket.onerror = () => {};
  }

  /** The socket is gone: calls on it are over; retry while registration is wanted. */
  private lost(message: string): void {
    this.dropAll();
    const wasRegistered = this.registered;
    this.registered = false;
    const error = classifyError(31009, message);
    if (this.waiting) {
      this.waiting.reject(new VoiceFailure(error));
      this.waiting = null;
    }
    if (wasRegistered) this.events.emit('unregistered', {});
    this.events.emit('error', error);
    if (!this.wanted) return;
    const delay = backoffDelay(this.attempt, this.timers.random());
    this.attempt += 1;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      if (this.wanted && !this.socket) this.connectSocket();
    }, delay);
  }

  private dropAll(): void {
    for (const id of [...this.calls.keys()]) {
      const call = this.calls.get(id);
      this.calls.delete(id);
      this.events.emit(call?.state === 'ringing' ? 'canceled' : 'disconnected', { id });
    }
    for (const c of this.connects) c.reject(new Error('The call could not be placed: the phone service went away.'));
    this.connects = [];
  }

  private onFrame(data: string): void {
    let f: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(data);
      if (typeof v !== 'object' || v === null) return;
      f = v as Record<string, unknown>;
    } catch {
      return;
    }
    const sid = typeof f.call_sid === 'string' ? f.call_sid : null;
    switch (f.type) {
      case 'registered':
        this.registered = true;
        this.attempt = 0;
        this.waiting?.resolve();
        this.waiting = null;
        this.events.emit('registered', { identity: typeof f.identity === 'string' ? f.identity : null });
        return;
      case 'incoming': {
        if (!sid) return;
        this.calls.set(sid, { state: 'ringing', muted: false });
        this.events.emit('incoming', {
          id: sid,
          from: String(f.from ?? ''),
          to: String(f.to ?? ''),
          params: stringRecord(f.params),
        });
        return;
      }
      case 'outgoing': {
        if (!sid) return;
        const pending = this.connects.shift();
        this.calls.set(sid, { state: 'dialing', muted: false });
        pending?.resolve(sid);
        this.events.emit('outgoing', { id: sid, localId: sid });
        return;
      }
      case 'canceled':
        if (sid && this.calls.delete(sid)) this.events.emit('canceled', { id: sid });
        return;
      case 'connected': {
        const call = sid ? this.calls.get(sid) : undefined;
        if (!sid || !call) return;
        call.state = 'open';
        this.events.emit('connected', { id: sid });
        return;
      }
      case 'disconnected': {
        if (!sid) return;
        const call = this.calls.get(sid);
        if (!call) return;
        this.calls.delete(sid);
        this.events.emit(call.state === 'ringing' ? 'canceled' : 'disconnected', { id: sid });
        return;
      }
      case 'error': {
        const error = classifyError(typeof f.code === 'number' ? f.code : null, String(f.message ?? 'The phone service reported an error.'));
        if (error.kind === 'token') {
          // The simulator closes the connection after a refused token, and the same token would
          // be refused again: stop until the app registers with a new one.
          this.wanted = false;
          const s = this.socket;
          this.socket = null;
          if (s) {
            s.onclose = null;
            s.close(1000, 'token refused');
          }
          this.dropAll();
          const was = this.registered;
          this.registered = false;
          this.waiting?.reject(new VoiceFailure(error));
          this.waiting = null;
          if (was) this.events.emit('unregistered', {});
        } else if (!this.registered && this.waiting) {
          this.waiting.reject(new VoiceFailure(error));
          this.waiting = null;
        } else if (this.connects.length > 0 && (sid === null || !this.calls.has(sid))) {
          // An error about no known call answers the oldest connect still waiting for its sid.
          this.connects.shift()?.reject(new VoiceFailure(error));
        }
        this.events.emit('error', error);
        return;
      }
      default:
        return;
    }
  }
}

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v === 'object' && v !== null) {
    for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  }
  return out;
}
