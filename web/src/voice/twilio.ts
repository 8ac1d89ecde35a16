// TwilioVoice: the voice layer over `@twilio/voice-sdk` 2.x `Device` for real Twilio. The SDK is
// imported on first use, so it is a chunk of its own that `vbx demo` never downloads.

import type { Call, Device } from '@twilio/voice-sdk';
import {
  classifyError,
  Emitter,
  type IncomingCall,
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

export class TwilioVoice implements VoiceLayer {
  readonly kind = 'twilio' as const;
  private readonly events = new Emitter<VoiceEvents>();
  private device: Device | null = null;
  private calls = new Map<string, Call>();
  private outgoingCount = 0;
  private inputDevice: string | null = null;
  private outputDevice: string | null = null;

  on<E extends VoiceEventName>(event: E, fn: (data: VoiceEvents[E]) => void): () => void {
    return this.events.on(event, fn);
  }

  onIncoming(fn: (call: IncomingCall) => void): () => void {
    return this.events.on('incoming', fn);
  }

  async register(token: string): Promise<void> {
    let sdk: Sdk;
    try {
      sdk = await loadSdk();
    } catch {
      throw new VoiceFailure(classifyError(31009, 'The phone component could not be loaded. Reload the page.'));
    }
    if (!this.device) {
      if (!sdk.Device.isSupported) {
        throw new VoiceFailure({ kind: 'other', code: null, message: 'This browser cannot make calls (WebRTC is not supported).' });
      }
      const device = new sdk.Device(token, {
        closeProtection: 'A call is in progress. Leave anyway?',
        codecPreferences: [sdk.Call.Codec.Opus, sdk.Call.Codec.PCMU],
        allowIncomingWhileBusy: false,
      });
      this.device = device;
      this.wire(device);
      await this.applyDevices();
    } else {
      this.device.updateToken(token);
    }
    try {
      await this.device.register();
    } catch (e) {
      throw new VoiceFailure(toError(e));
    }
  }

  async unregister(): Promise<void> {
    const d = this.device;
    if (!d) return;
    try {
      await d.unregister();
    } catch {
      // Already unregistered or the connection is gone: nothing left to undo.
    }
  }

  updateToken(token: string): void {
    this.device?.updateToken(token);
  }

  async accept(id: string): Promise<void> {
    const call = this.calls.get(id);
    if (!call) throw new Error('That call is no longer ringing.');
    call.accept();
  }

  reject(id: string): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    call.reject();
  }

  hangup(id: string): void {
    this.calls.get(id)?.disconnect();
  }

  sendDigits(id: string, digits: string): void {
    if (!/^[0-9*#wW]+$/.test(digits)) return;
    this.calls.get(id)?.sendDigits(digits);
  }

  mute(id: string, muted: boolean): void {
    this.calls.get(id)?.mute(muted);
  }

  async connect(to: string): Promise<string> {
    const d = this.device;
    if (!d) throw new Error('The phone is not connected yet.');
    let call: Call;
    try {
      call = await d.connect({ params: { To: to } });
    } catch (e) {
      const err = toError(e);
      this.events.emit('error', err);
      throw new VoiceFailure(err);
    }
    this.outgoingCount += 1;
    const localId = `out-${this.outgoingCount}`;
    this.track(localId, call, true);
    return localId;
  }

  async setInputDevice(deviceId: string | null): Promise<void> {
    this.inputDevice = deviceId;
    await this.applyDevices();
  }

  async setOutputDevice(deviceId: string | null): Promise<void> {
    this.outputDevice = deviceId;
    await this.applyDevices();
  }

  destroy(): void {
    this.device?.destroy();
    this.device = null;
    this.calls.clear();
    this.events.clear();
  }

  private async applyDevices(): Promise<void> {
    const audio = this.device?.audio;
    if (!audio) return;
    try {
      if (this.inputDevice) await audio.setInputDevice(this.inputDevice);
      else await audio.unsetInputDevice();
      if (audio.isOutputSelectionSupported) {
        const out = this.outputDevice ?? 'default';
        await audio.speakerDevices.set(out);
        await audio.ringtoneDevices.set(out);
      }
    } catch (e) {
      this.events.emit('error', { ...toError(e), kind: 'microphone' });
    }
  }

  private wire(device: Device): void {
    device.on('registered', () => this.events.emit('registered', { identity: device.identity }));
    device.on('unregistered', () => this.events.emit('unregistered', {}));
    device.on('tokenWillExpire', () => this.events.emit('tokenWillExpire', {}));
    device.on('error', (e: TwilioErrorLike) => this.events.emit('error', toError(e)));
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
    call.on('accept', () => {
      if (outgoing && call.parameters.CallSid) this.events.emit('outgoing', { id: call.parameters.CallSid, localId: id });
      this.events.emit('connected', { id });
    });
    call.on('disconnect', () => {
      this.calls.delete(id);
      this.events.emit('disconnected', { id });
    });
    call.on('cancel', () => {
      this.calls.delete(id);
      this.events.emit('canceled', { id });
    });
    call.on('reject', () => this.calls.delete(id));
    call.on('error', (e: TwilioErrorLike) => this.events.emit('error', toError(e)));
  }
}

function toError(e: unknown): ReturnType<typeof classifyError> {
  const t = (e ?? {}) as TwilioErrorLike;
  const message = t.explanation || t.message || 'The phone service reported an error.';
  return classifyError(typeof t.code === 'number' ? t.code : null, message);
}
