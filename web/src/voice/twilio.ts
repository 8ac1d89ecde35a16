// TwilioVoice: the voice layer over `@twilio/voice-sdk` 2.x `Device` for real Twilio. The SDK is
// imported on first use, so it is a chunk of its own that `vbx demo` never downloads.
//
// How the SDK behaves, and so why this file does what it does, is written down in
// ../shared/twilio/VOICE-SDK.md: `register()` throws unless the Device is unregistered and may
// never settle while signaling is down; audio devices can be chosen only once enumerated; a
// chosen microphone stays open until unset; `accept()` returns before the microphone opens.

import type { Call, Device } from '@twilio/voice-sdk';
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

type Sdk = typeof import('@twilio/voice-sdk');

let sdkPromise: Promise<Sdk> | null = null;

function loadSdk(): Promise<Sdk> {
  sdkPromise ??= import('@twilio/voice-sdk');
  return sdkPromise;
}

interface TwilioErrorLike {
  code?: number;
  message?: string;
  explanation?: string;
}

/** How long registration may take before Twilio counts as unreachable. */
export const REGISTER_TIMEOUT_MS = 15_000;

/** Call warnings (the SDK's names) in words a user understands. */
const WARNINGS: Record<string, string> = {
  'high-rtt': 'The connection is slow; the other side may hear you late.',
  'low-mos': 'Call quality is poor.',
  'high-jitter': 'The connection is unstable; audio may break up.',
  'high-packet-loss': 'Audio is being lost on the way.',
  'constant-audio-input-level': 'Your microphone sends no sound. Check it is not muted.',
  'constant-audio-output-level': 'No sound is arriving from the other side.',
  'ice-connectivity-lost': 'Call audio was lost; trying to get it back…',
};

export interface TwilioVoiceOptions {
  /** Checks microphone access before a call is answered; tests of the app pass a stub. */
  microphone?: (deviceId: string | null) => Promise<VoiceError | null>;
  registerTimeoutMs?: number;
}

export class TwilioVoice implements VoiceLayer {
  readonly kind = 'twilio' as const;
  private readonly events = new Emitter<VoiceEvents>();
  private device: Device | null = null;
  private sdk: Sdk | null = null;
  private calls = new Map<string, Call>();
  private outgoingCount = 0;
  private inputDevice: string | null = null;
  private outputDevice: string | null = null;
  private inputInUse = false;
  private readonly microphone: (deviceId: string | null) => Promise<VoiceError | null>;
  private readonly registerTimeoutMs: number;

  constructor(opts: TwilioVoiceOptions = {}) {
    this.microphone = opts.microphone ?? checkMicrophone;
    this.registerTimeoutMs = opts.registerTimeoutMs ?? REGISTER_TIMEOUT_MS;
  }

  on<E extends VoiceEventName>(event: E, fn: (data: VoiceEvents[E]) => void): () => void {
    return this.events.on(event, fn);
  }

  onIncoming(fn: (call: IncomingCall) => void): () => void {
    return this.events.on('incoming', fn);
  }

  /**
   * Registers with `token`. A registered Device only takes the new token; one that is not
   * (never registered, stuck registering while signaling was down, or unregistered after a
   * refusal) is replaced by a new Device when no call is up, since `register()` throws on a
   * Device that is registering.
   */
  async register(token: string): Promise<void> {
    let sdk: Sdk;
    try {
      sdk = await loadSdk();
    } catch {
      throw new VoiceFailure(classifyError(31009, 'The phone component could not be loaded. Reload the page.'));
    }
    this.sdk = sdk;
    if (!sdk.Device.isSupported) {
      throw new VoiceFailure({ kind: 'other', code: null, message: 'This browser cannot make calls (WebRTC is not supported).' });
    }
    let device = this.device;
    if (device?.state === 'registered') {
      device.updateToken(token);
      return;
    }
    if (device && device.state !== 'destroyed' && this.calls.size > 0) {
      // Never tear down the Device a call is on: it reconnects its signaling by itself and
      // registers again once it is back.
      device.updateToken(token);
      await this.registered(device, device.state === 'unregistered');
      return;
    }
    device?.destroy();
    device = this.create(sdk, token);
    await this.registered(device, true);
  }

  /**
   * Waits for `device` to register (calling `register()` first when `start`), failing at once
   * when Twilio refuses the token, or when it has not answered within the timeout.
   */
  private registered(device: Device, start: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (error: VoiceError | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        device.off('error', onError);
        device.off('registered', onRegistered);
        if (error) reject(new VoiceFailure(error));
        else resolve();
      };
      // A lost transport (31009) is retried by the SDK; only a refused token ends the wait.
      const onError = (e: TwilioErrorLike) => {
        const error = toError(e);
        if (error.kind === 'token') finish(error);
      };
      const onRegistered = () => finish(null);
      const timer = setTimeout(
        () => finish(classifyError(31005, `Twilio did not answer the phone's registration within ${Math.round(this.registerTimeoutMs / 1000)} s.`)),
        this.registerTimeoutMs,
      );
      device.on('error', onError);
      device.on('registered', onRegistered);
      if (start) {
        device.register().catch((e: unknown) => {
          const error = toError(e);
          if (error.kind === 'token') finish(error);
        });
      }
    });
  }

  private create(sdk: Sdk, token: string): Device {
    const device = new sdk.Device(token, {
      closeProtection: 'A call is in progress. Leave anyway?',
      codecPreferences: [sdk.Call.Codec.Opus, sdk.Call.Codec.PCMU],
      allowIncomingWhileBusy: false,
      // Without it every signaling error arrives as 53000, so a refused token would read as
      // "Twilio is unreachable".
      enableImprovedSignalingErrorPrecision: true,
    });
    this.device = device;
    this.wire(device);
    this.watchOutputDevices(device);
    if (sdk.Device.audioContext?.state === 'suspended') {
      this.events.emit('sound', { blocked: true });
    }
    return device;
  }

  /** Lets the ringtone play once the browser allows sound (call it from a user gesture). */
  async enableSound(): Promise<void> {
    const context = this.sdk?.Device.audioContext;
    if (!context || context.state !== 'suspended') return;
    try {
      await context.resume();
    } catch {
      return;
    }
    // `resume()` changed the state, which TypeScript cannot see.
    if ((context.state as AudioContextState) === 'running') this.events.emit('sound', { blocked: false });
  }

  async unregister(): Promise<void> {
    const d = this.device;
    if (!d || d.state !== 'registered') return;
    try {
      await d.unregister();
    } catch {
      // Already unregistered or the connection is gone: nothing left to undo.
    }
  }

  updateToken(token: string): void {
    if (this.device && this.device.state !== 'destroyed') this.device.updateToken(token);
  }

  /**
   * Answers a ringing call. The microphone is asked for first: the SDK's own refusal would
   * come only after `accept()` returned, with the call already hung up, so a user who has to
   * allow the microphone could not answer any more.
   */
  async accept(id: string): Promise<void> {
    const call = this.calls.get(id);
    if (!call) throw new Error('That call is no longer ringing.');
    const problem = await this.microphone(this.inputDevice);
    if (problem) {
      this.events.emit('error', problem);
      throw new VoiceFailure(problem);
    }
    if (this.calls.get(id) !== call || call.status() !== 'pending') throw new Error('That call is no longer ringing.');
    await this.openInput();
    call.accept();
  }

  reject(id: string): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    call.reject();
  }

  hangup(id: string): void {
    const call = this.calls.get(id);
    if (!call) return;
    if (call.status() === 'pending') {
      this.reject(id);
      return;
    }
    call.disconnect();
  }

  /** DTMF: `0-9 * #` and `w` (half a second's pause); `W`, a second's pause elsewhere, is two. */
  sendDigits(id: string, digits: string): void {
    const wire = digits.replace(/W/g, 'ww');
    if (!/^[0-9*#w]+$/.test(wire)) return;
    this.calls.get(id)?.sendDigits(wire);
  }

  mute(id: string, muted: boolean): void {
    this.calls.get(id)?.mute(muted);
  }

  async connect(to: string): Promise<string> {
    const d = this.device;
    if (!d) throw new Error('The phone is not connected yet.');
    this.outgoingCount += 1;
    const localId = `out-${this.outgoingCount}`;
    await this.openInput();
    let call: Call;
    try {
      call = await d.connect({ params: { To: to } });
    } catch (e) {
      void this.releaseInput();
      const err = toError(e);
      this.events.emit('error', err);
      throw new VoiceFailure(err);
    }
    this.track(localId, call, true);
    return localId;
  }

  async setInputDevice(deviceId: string | null): Promise<void> {
    // Only remembered: the microphone is opened for a call and released after it.
    this.inputDevice = deviceId;
  }

  async setOutputDevice(deviceId: string | null): Promise<void> {
    this.outputDevice = deviceId;
    if (this.device) await this.applyOutput(this.device);
  }

  destroy(): void {
    this.device?.destroy();
    this.device = null;
    this.calls.clear();
    this.events.clear();
  }

  /** Opens the chosen microphone for the call about to start (the default one needs nothing). */
  private async openInput(): Promise<void> {
    const audio = this.device?.audio;
    if (!audio || !this.inputDevice) return;
    try {
      await audio.setInputDevice(this.inputDevice);
      this.inputInUse = true;
    } catch {
      // Unplugged since it was chosen: the call uses the default microphone.
      this.events.emit('error', { kind: 'microphone', code: null, message: 'The microphone chosen in Settings is not connected; the default one is used.' });
    }
  }

  /** Closes the chosen microphone once no call needs it, so the browser stops recording. */
  private async releaseInput(): Promise<void> {
    const audio = this.device?.audio;
    if (!audio || !this.inputInUse || this.calls.size > 0) return;
    try {
      await audio.unsetInputDevice();
      this.inputInUse = false;
    } catch {
      // The SDK refuses while its call is still closing; the next call's end releases it.
    }
  }

  /** Applies the chosen speaker once the SDK knows the devices (before, `set` rejects). */
  private watchOutputDevices(device: Device): void {
    const audio = device.audio;
    if (!audio?.isOutputSelectionSupported) return;
    const apply = () => void this.applyOutput(device);
    audio.on('deviceChange', apply);
    apply();
  }

  private async applyOutput(device: Device): Promise<void> {
    const audio = device.audio;
    if (!audio?.isOutputSelectionSupported || this.device !== device) return;
    const known = audio.availableOutputDevices;
    const wanted = this.outputDevice && known.has(this.outputDevice) ? this.outputDevice : 'default';
    // Until the devices are enumerated there is nothing to choose from; `deviceChange` comes.
    if (!known.has(wanted)) return;
    try {
      await audio.speakerDevices.set(wanted);
      await audio.ringtoneDevices.set(wanted);
    } catch (e) {
      this.events.emit('error', { ...toError(e), kind: 'other' });
    }
  }

  private wire(device: Device): void {
    device.on('registered', () => this.events.emit('registered', { identity: device.identity }));
    device.on('unregistered', () => {
      if (this.device === device) this.events.emit('unregistered', {});
    });
    device.on('tokenWillExpire', () => this.events.emit('tokenWillExpire', {}));
    device.on('error', (e: TwilioErrorLike) => {
      if (this.device === device) this.events.emit('error', toError(e));
    });
    device.on('incoming', (call: Call) => {
      const id = call.parameters.CallSid ?? `in-${Date.now()}`;
      this.track(id, call, false);
      this.events.emit('incoming', {
        id,
        from: call.parameters.From ?? '',
        to: call.parameters.To ?? '',
        params: Object.fromEntries(call.customParameters),
      });
    });
  }

  private track(id: string, call: Call, outgoing: boolean): void {
    this.calls.set(id, call);
    const ended = () => {
      this.calls.delete(id);
      void this.releaseInput();
    };
    // The SDK learns an outgoing call's SID from Twilio's `ringing`.
    const learnSid = () => {
      if (outgoing && call.parameters.CallSid) this.events.emit('outgoing', { id: call.parameters.CallSid, localId: id });
    };
    call.on('ringing', learnSid);
    call.on('accept', () => {
      learnSid();
      this.events.emit('connected', { id });
    });
    call.on('disconnect', () => {
      ended();
      this.events.emit('disconnected', { id });
    });
    call.on('cancel', () => {
      ended();
      this.events.emit('canceled', { id });
    });
    call.on('reject', ended);
    call.on('reconnecting', () => this.events.emit('quality', { id, problem: 'Call audio was lost; reconnecting…' }));
    call.on('reconnected', () => this.events.emit('quality', { id, problem: null }));
    call.on('warning', (name: string) => this.events.emit('quality', { id, problem: WARNINGS[name] ?? null }));
    call.on('warning-cleared', () => this.events.emit('quality', { id, problem: null }));
    call.on('error', (e: TwilioErrorLike) => this.events.emit('error', toError(e)));
  }
}

function toError(e: unknown): VoiceError {
  const t = (e ?? {}) as TwilioErrorLike;
  const message = t.explanation || t.message || 'The phone service reported an error.';
  return classifyError(typeof t.code === 'number' ? t.code : null, message);
}
