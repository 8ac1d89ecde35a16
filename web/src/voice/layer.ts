// The one interface the app uses for calls in the browser, whatever carries them: the Twilio
// Voice SDK (TwilioVoice) or the simulator's browser client (SimVoice).

export interface IncomingCall {
  /** The id to pass back to accept/reject/hangup (the CallSid). */
  id: string;
  from: string;
  to: string;
  params: Record<string, string>;
}

/** Why something failed, so the app can show the right banner. */
export type VoiceErrorKind = 'token' | 'microphone' | 'unreachable' | 'call' | 'other';

export interface VoiceError {
  kind: VoiceErrorKind;
  code: number | null;
  message: string;
}

export interface VoiceEvents {
  registered: { identity: string | null };
  unregistered: Record<string, never>;
  incoming: IncomingCall;
  /** The caller hung up before the call was answered (or another tab answered). */
  canceled: { id: string };
  /** Media is flowing (after accept, or when the called party answers an outgoing call). */
  connected: { id: string };
  disconnected: { id: string };
  /** An outgoing call got its real id. */
  outgoing: { id: string; localId: string };
  error: VoiceError;
  /** The token expires soon; the app fetches a new one and calls updateToken. */
  tokenWillExpire: Record<string, never>;
  /** Something is wrong with a call's audio (`problem`), or it recovered (`null`). */
  quality: { id: string; problem: string | null };
  /** The browser blocks sound until the user interacts with the page (the ringtone is silent). */
  sound: { blocked: boolean };
}

/** A voice operation failed for a reason the user can act on. */
export class VoiceFailure extends Error {
  constructor(readonly error: VoiceError) {
    super(error.message);
    this.name = 'VoiceFailure';
  }
}

export type VoiceEventName = keyof VoiceEvents;

export interface VoiceLayer {
  readonly kind: 'twilio' | 'sim';
  /** Registers this tab to receive calls; resolves once registered. */
  register(token: string): Promise<void>;
  unregister(): Promise<void>;
  updateToken(token: string): void;
  onIncoming(fn: (call: IncomingCall) => void): () => void;
  on<E extends VoiceEventName>(event: E, fn: (data: VoiceEvents[E]) => void): () => void;
  accept(id: string): Promise<void>;
  reject(id: string): void;
  hangup(id: string): void;
  sendDigits(id: string, digits: string): void;
  mute(id: string, muted: boolean): void;
  /** Starts an outgoing call; resolves with a local id (an `outgoing` event gives the real one). */
  connect(to: string): Promise<string>;
  setInputDevice(deviceId: string | null): Promise<void>;
  setOutputDevice(deviceId: string | null): Promise<void>;
  /** Lets sound play after a user gesture, when the browser blocked it (`sound` event). */
  enableSound(): Promise<void>;
  destroy(): void;
}

/** A small typed event emitter shared by both implementations. */
export class Emitter<M extends object> {
  private handlers = new Map<keyof M, Set<(data: never) => void>>();

  on<E extends keyof M>(event: E, fn: (data: M[E]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(fn as (data: never) => void);
    return () => set.delete(fn as (data: never) => void);
  }

  emit<E extends keyof M>(event: E, data: M[E]): void {
    for (const fn of [...(this.handlers.get(event) ?? [])]) (fn as (d: M[E]) => void)(data);
  }

  clear(): void {
    this.handlers.clear();
  }
}

/**
 * Twilio's error codes grouped by what the user can do about them (the simulator uses the same
 * codes): 20101–20107, 20151, 20157, 31202 and 31204–31207 are access token problems,
 * 31400–31402 and 31208 the microphone, 31000/31003/31005/31009/53000/53405 the connection.
 */
export function classifyError(code: number | null, message: string): VoiceError {
  let kind: VoiceErrorKind = 'other';
  if (code !== null) {
    if ((code >= 20101 && code <= 20107) || (code >= 31204 && code <= 31207) || [20151, 20157, 31202].includes(code)) kind = 'token';
    else if (code === 31401 || code === 31208 || code === 31402 || code === 31400) kind = 'microphone';
    else if (code === 31000 || code === 31005 || code === 31009 || code === 31003 || code === 53000 || code === 53405) kind = 'unreachable';
    else if (code >= 31480 && code <= 31486) kind = 'call';
  }
  return { kind, code, message };
}

/** Asks for the microphone once so a refusal is reported before a call is answered. */
export async function checkMicrophone(deviceId: string | null): Promise<VoiceError | null> {
  const media = globalThis.navigator?.mediaDevices;
  if (!media?.getUserMedia) {
    return { kind: 'microphone', code: null, message: 'This browser cannot use a microphone here (the page must be served over HTTPS).' };
  }
  try {
    const stream = await media.getUserMedia({ audio: deviceId ? { deviceId: { exact: deviceId } } : true });
    for (const t of stream.getTracks()) t.stop();
    return null;
  } catch (e) {
    const name = (e as { name?: string }).name ?? '';
    const message =
      name === 'NotAllowedError' || name === 'SecurityError'
        ? 'The microphone is blocked. Allow it for this site in the browser, then try again.'
        : name === 'NotFoundError' || name === 'OverconstrainedError'
          ? 'No microphone was found. Connect one or pick another in Settings.'
          : `The microphone could not be opened (${name || 'unknown error'}).`;
    return { kind: 'microphone', code: 31401, message };
  }
}
