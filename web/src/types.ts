// The shapes of vbx's JSON API and WebSocket frames, as written in docs/api.md.

export type Direction = 'inbound' | 'outbound';

export interface User {
  name: string;
}

export type VoiceConfig = { kind: 'twilio' } | { kind: 'sim'; url: string };

export interface Session {
  user: User;
  csrf: string;
  identity: string;
  number: string;
  /** Which voice layer to use; absent means real Twilio. */
  voice?: VoiceConfig;
}

export interface Media {
  url: string;
  content_type: string;
}

export interface MessageItem {
  kind: 'message';
  /** Twilio's SID; null while the text waits in vbx's outbox (or Twilio refused it). */
  sid: string | null;
  /** The outbox row of a text vbx sent: the same from queued to delivered. */
  outbox_id?: number | null;
  direction: Direction;
  body: string;
  media: Media[];
  status: string;
  error: string | null;
  at: number;
  /** Set on a message this tab sent that the server has not reported yet. */
  pending?: boolean;
  /** Arrived from a blocked number. */
  blocked?: boolean;
}

export interface CallItem {
  kind: 'call';
  sid: string;
  direction: Direction;
  status: string;
  duration: number | null;
  at: number;
  /** From a blocked number: rejected, nothing rang. */
  blocked?: boolean;
  /** What the call was (see `calls.ts`). */
  outcome: string;
  answered_to: string | null;
  talk: number | null;
  /** The recording of the call itself (a recorded `<Dial>`), to play from its row. */
  call_recording: RecordingRef | null;
  /** What the call went through in the flows, in order ("closed → after", "pressed 1 → sales"). */
  path?: string[];
}

/** A recording of a call (never a voicemail). */
export interface RecordingRef {
  sid: string;
  /** `/api/recordings/{sid}`. */
  url: string;
  duration: number | null;
}

export interface VoicemailItem {
  kind: 'voicemail';
  sid: string;
  call_sid: string;
  url: string;
  duration: number | null;
  transcription: string | null;
  /** `in-progress` while a transcript is coming, then `completed` or `failed`; null when none is coming. */
  transcription_status: string | null;
  /** Played, marked heard, or its thread read. */
  heard: boolean;
  at: number;
}

/** A voicemail in the voicemail box: its thread item and who left it. */
export interface Voicemail extends Omit<VoicemailItem, 'kind'> {
  /** Who left it; null while its call is unknown. */
  number: string | null;
  name: string | null;
}

export type Item = MessageItem | CallItem | VoicemailItem;

export interface LastActivity {
  kind: Item['kind'];
  text: string;
  direction: Direction;
  at: number;
}

export interface Conversation {
  number: string;
  name: string | null;
  last: LastActivity | null;
  unread: number;
  /** Archived with nothing newer since (only a search or the archive lists it). */
  archived?: boolean;
  /** Blocked (only a search lists it). */
  blocked?: boolean;
}

/** A text or voicemail whose words match a search. */
export interface SearchHit {
  kind: 'message' | 'voicemail';
  sid: string;
  number: string;
  name: string | null;
  direction: Direction;
  /** The text around the match; matching words between U+E000 and U+E001. */
  snippet: string;
  at: number;
}

/** Which conversations the list shows when nothing is searched. */
export type ConversationView = 'inbox' | 'archived';

export interface Blocked {
  number: string;
  name: string | null;
  at: number;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface ThreadPage extends Page<Item> {
  number: string;
  name: string | null;
  archived?: boolean;
  blocked?: boolean;
}

export interface CallRecord {
  sid: string;
  from: string;
  to: string;
  name: string | null;
  direction: Direction;
  status: string;
  duration: number | null;
  at: number;
  /** The call's voicemail. */
  recording: VoicemailItem | null;
  call_recording: RecordingRef | null;
  outcome: string;
  answered_to: string | null;
  talk: number | null;
  /** What the call went through in the flows (see `CallItem.path`). */
  path?: string[];
}

export interface Contact {
  number: string;
  name: string;
}

export interface VoiceToken {
  token: string;
  identity: string;
  expires_at: number;
}

export interface Status {
  /** `address`: where a call answered on the device was put through (browsers and cell phones). */
  devices: { name: string; type: string; online: boolean | null; last_error: string | null; address?: string }[];
  twilio: { reachable: boolean; last_error: string | null };
  last_sync: number | null;
  outbox: { pending: number; failed: number };
}

/** Frames the server pushes over `/ws`. */
export type ServerEvent =
  | { type: 'hello'; cursor: number }
  // A text that just arrived also carries its thread's new unread count and the new total.
  | { type: 'message'; cursor: number; item: MessageItem; number: string; unread?: number; total?: number }
  | { type: 'call'; cursor: number; item: CallItem; number: string }
  | { type: 'voicemail'; cursor: number; item: VoicemailItem; number: string }
  | { type: 'unread'; number: string; unread: number; total: number }
  | { type: 'deleted'; cursor: number; number: string; kind: 'message'; sid: string | null; outbox_id?: number }
  // A voicemail deleted in some tab (`number` absent when its call was unknown).
  | { type: 'deleted'; cursor: number; number?: string; kind: 'voicemail'; sid: string; call_sid: string }
  | { type: 'contact'; cursor: number; number: string; name: string | null }
  | { type: 'marks'; cursor: number; number: string; archived: boolean; blocked: boolean }
  | { type: 'voicemails'; cursor: number; new: number }
  | { type: 'presence'; devices: { name: string; online: boolean | null }[] };

/** Frames this tab sends over `/ws`. */
export type ClientFrame = { type: 'resume'; cursor: number } | { type: 'voice'; registered: boolean };
