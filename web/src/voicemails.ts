// Pure state of the voicemail box: pages from the API, live voicemails and their changes (heard,
// transcribed), deletions, the count of new ones from other tabs; and how a transcript reads.

import type { Page, Voicemail, VoicemailItem } from './types';

export interface VoicemailsState {
  /** Newest first, like the API. */
  items: Voicemail[];
  /** Cursor for older voicemails; null when the oldest is loaded. */
  next: string | null;
  /** True until the first page arrived. */
  loading: boolean;
}

export function emptyVoicemails(): VoicemailsState {
  return { items: [], next: null, loading: true };
}

function byNewest(a: Voicemail, b: Voicemail): number {
  if (b.at !== a.at) return b.at - a.at;
  return a.sid < b.sid ? 1 : a.sid > b.sid ? -1 : 0;
}

/** How far along a voicemail is: transcribed (or given up on), heard. Neither goes back. */
function rank(v: Pick<VoicemailItem, 'transcription' | 'transcription_status' | 'heard'>): number {
  const settled = v.transcription !== null || (v.transcription_status !== null && v.transcription_status !== 'in-progress');
  return (settled ? 2 : 0) + (v.heard ? 1 : 0);
}

/** One entry per voicemail, the furthest along of two copies, newest first. */
function merge(current: Voicemail[], incoming: Voicemail[]): Voicemail[] {
  const map = new Map<string, Voicemail>();
  for (const v of current) map.set(v.sid, v);
  for (const v of incoming) {
    const old = map.get(v.sid);
    if (!old) map.set(v.sid, v);
    else if (rank(v) >= rank(old)) map.set(v.sid, { ...v, heard: v.heard || old.heard });
    else map.set(v.sid, { ...old, heard: v.heard || old.heard });
  }
  return [...map.values()].sort(byNewest);
}

/**
 * A page; a first page (`append` false) replaces what was there, keeping what arrived live
 * meanwhile (newer than its newest voicemail) and the heard marks and transcripts it is behind.
 */
export function applyVoicemailPage(state: VoicemailsState, page: Page<Voicemail>, append: boolean): VoicemailsState {
  if (append) return { items: merge(state.items, page.items), next: page.next, loading: false };
  const newest = page.items[0];
  const listed = new Set(page.items.map((v) => v.sid));
  const kept = state.items.filter((v) => listed.has(v.sid) || !newest || byNewest(v, newest) < 0);
  return { items: merge(page.items, kept), next: page.next, loading: false };
}

/**
 * A `voicemail` frame: the voicemail is new (listed in its place, unless older than what is
 * loaded so far, where paging finds it) or changed (transcribed, heard).
 */
export function applyVoicemailItem(state: VoicemailsState, item: VoicemailItem, number: string | null, name: string | null): VoicemailsState {
  const { kind: _kind, ...fields } = item;
  const existing = state.items.find((v) => v.sid === item.sid);
  const entry: Voicemail = existing ? { ...existing, ...fields } : { ...fields, number, name };
  if (!existing) {
    const last = state.items[state.items.length - 1];
    if (state.next !== null && last && byNewest(entry, last) > 0) return state;
  }
  return { ...state, items: merge(state.items, [entry]) };
}

/** Heard here (played, or marked). */
export function markHeard(state: VoicemailsState, sid: string): VoicemailsState {
  if (!state.items.some((v) => v.sid === sid && !v.heard)) return state;
  return { ...state, items: state.items.map((v) => (v.sid === sid ? { ...v, heard: true } : v)) };
}

/** Deleted, here or in another tab. */
export function dropVoicemail(state: VoicemailsState, sid: string): VoicemailsState {
  if (!state.items.some((v) => v.sid === sid)) return state;
  return { ...state, items: state.items.filter((v) => v.sid !== sid) };
}

/** A contact's name as it is now, on that number's voicemails. */
export function applyVoicemailName(state: VoicemailsState, number: string, name: string | null): VoicemailsState {
  if (!state.items.some((v) => v.number === number)) return state;
  return { ...state, items: state.items.map((v) => (v.number === number ? { ...v, name } : v)) };
}

/**
 * The count of new voicemails changed (a `voicemails` frame: heard in some tab, a thread read,
 * a new one deleted). None new: every listed one is heard. Fewer new than the list shows: some
 * were heard elsewhere without saying which (a thread read), so the list must be loaded again.
 */
export function applyNewCount(state: VoicemailsState, count: number): { state: VoicemailsState; reload: boolean } {
  const unheard = state.items.filter((v) => !v.heard).length;
  if (count === 0 && unheard > 0) return { state: { ...state, items: state.items.map((v) => (v.heard ? v : { ...v, heard: true })) }, reload: false };
  return { state, reload: !state.loading && unheard > count };
}

/** After this long without its transcript, a voicemail is taken to get none. */
export const TRANSCRIPT_WAIT_MS = 10 * 60_000;

/** What a voicemail's transcript line says: the words, "Transcribing…" while they come, or none. */
export function transcriptText(v: Pick<VoicemailItem, 'transcription' | 'transcription_status' | 'at'>, now: number): { text: string; waiting: boolean; missing: boolean } {
  if (v.transcription !== null && v.transcription.trim() !== '') return { text: v.transcription, waiting: false, missing: false };
  if (v.transcription_status === 'in-progress' && now - v.at < TRANSCRIPT_WAIT_MS) return { text: 'Transcribing…', waiting: true, missing: false };
  return { text: 'No transcript', waiting: false, missing: true };
}
