// The app's state in one object, with batched change notification for the UI.

import type { ConversationsState } from './conversations';
import { emptyConversations } from './conversations';
import type { LiveStatus } from './live';
import type { Route } from './router';
import type { ThreadState } from './thread';
import type { Blocked, CallRecord, Contact, Session, Status } from './types';
import { emptyVoicemails, type VoicemailsState } from './voicemails';
import type { IncomingCall, VoiceError } from './voice/layer';

export type BannerKey = 'live' | 'twilio' | 'token' | 'microphone' | 'voice' | 'sound' | 'notice';

export interface Banner {
  key: BannerKey;
  tone: 'error' | 'warning' | 'info';
  text: string;
  action?: { label: string; run: () => void };
}

export interface ActiveCall {
  id: string;
  sid: string | null;
  direction: 'inbound' | 'outbound';
  number: string;
  state: 'connecting' | 'dialing' | 'open';
  startedAt: number | null;
  muted: boolean;
  digits: string;
  /** What is wrong with the call's audio right now ("reconnecting…"), if anything. */
  problem: string | null;
}

export interface CallLogState {
  /** `outcome`: what the calls were (`answered`, `missed`, …), '' for all. */
  filter: { direction: string; outcome: string };
  items: CallRecord[];
  next: string | null;
  loading: boolean;
}

export interface DeviceChoice {
  inputs: { id: string; label: string }[];
  outputs: { id: string; label: string }[];
  input: string | null;
  output: string | null;
  outputSupported: boolean;
}

export interface State {
  booting: boolean;
  session: Session | null;
  route: Route;
  conversations: ConversationsState;
  thread: ThreadState | null;
  contacts: Contact[] | null;
  /** The blocked numbers (null until loaded). */
  blocked: Blocked[] | null;
  callLog: CallLogState;
  /** The voicemail box (loaded when it is shown). */
  voicemails: VoicemailsState;
  live: LiveStatus;
  voice: { status: 'off' | 'registering' | 'registered' | 'failed'; error: VoiceError | null };
  incoming: IncomingCall[];
  call: ActiveCall | null;
  banners: Banner[];
  unreadTotal: number;
  /** Voicemails nobody has heard (played, marked heard, or their thread read). */
  newVoicemails: number;
  missedWhileAway: number;
  devices: DeviceChoice;
  notifications: NotificationPermission | 'unsupported';
  status: Status | null;
  /** A short message shown for a few seconds ("Contact saved"). */
  toast: string | null;
}

export function initialState(route: Route): State {
  return {
    booting: true,
    session: null,
    route,
    conversations: emptyConversations(),
    thread: null,
    contacts: null,
    blocked: null,
    callLog: { filter: { direction: '', outcome: '' }, items: [], next: null, loading: true },
    voicemails: emptyVoicemails(),
    live: { status: 'stopped' },
    voice: { status: 'off', error: null },
    incoming: [],
    call: null,
    banners: [],
    unreadTotal: 0,
    newVoicemails: 0,
    missedWhileAway: 0,
    devices: { inputs: [], outputs: [], input: null, output: null, outputSupported: false },
    notifications: 'unsupported',
    status: null,
    toast: null,
  };
}

export class Store {
  private listeners = new Set<() => void>();
  private scheduled = false;

  constructor(public state: State) {}

  update(patch: Partial<State> | ((s: State) => Partial<State>)): void {
    const p = typeof patch === 'function' ? patch(this.state) : patch;
    this.state = { ...this.state, ...p };
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      for (const l of [...this.listeners]) l();
    });
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  setBanner(banner: Banner): void {
    this.update((s) => ({ banners: [...s.banners.filter((b) => b.key !== banner.key), banner] }));
  }

  clearBanner(key: BannerKey): void {
    if (!this.state.banners.some((b) => b.key === key)) return;
    this.update((s) => ({ banners: s.banners.filter((b) => b.key !== key) }));
  }
}
