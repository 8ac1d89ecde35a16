// Pure state of one thread (messages, calls, voicemails of a number): merging pages and live
// events without duplicates or status going backwards, paging older items, pending sends.

import type { Item, MessageItem, ThreadPage } from './types';

export interface ThreadState {
  number: string;
  name: string | null;
  /** Newest first, like the API. */
  items: Item[];
  /** Cursor for older items; null when the oldest is loaded. */
  next: string | null;
  /** True until the first page arrived. */
  loading: boolean;
  archived: boolean;
  blocked: boolean;
}

export function emptyThread(number: string, name: string | null = null): ThreadState {
  return { number, name, items: [], next: null, loading: true, archived: false, blocked: false };
}

const MESSAGE_RANK: Record<string, number> = {
  accepted: 0, scheduled: 0, queued: 1, sending: 2, sent: 3, receiving: 3, received: 4,
  delivered: 5, undelivered: 5, failed: 5, read: 6, canceled: 5,
};
const CALL_RANK: Record<string, number> = {
  queued: 0, initiated: 0, ringing: 1, 'in-progress': 2, completed: 3, busy: 3, 'no-answer': 3,
  canceled: 3, failed: 3,
};

/** How far along an item is; a merge never replaces a later state with an earlier one. */
export function statusRank(item: Item): number {
  if (item.kind === 'message') return MESSAGE_RANK[item.status] ?? 0;
  if (item.kind === 'call') return CALL_RANK[item.status] ?? 0;
  // A voicemail's transcript comes (or fails) once, and once heard it stays heard.
  const settled = item.transcription !== null || (item.transcription_status != null && item.transcription_status !== 'in-progress');
  return (settled ? 2 : 0) + (item.heard ? 1 : 0);
}

/**
 * One key per item for its whole life. A text vbx sent is known by its outbox row from the
 * moment it is queued (before Twilio gave it a SID) to its delivery; everything else by its SID.
 */
export function itemKey(item: Item): string {
  if (item.kind === 'message' && item.outbox_id != null) return `message:outbox:${item.outbox_id}`;
  return `${item.kind}:${item.sid}`;
}

function byNewest(a: Item, b: Item): number {
  if (b.at !== a.at) return b.at - a.at;
  // Texts sent in the same millisecond: the later outbox row is the later text.
  const oa = a.kind === 'message' ? a.outbox_id : null;
  const ob = b.kind === 'message' ? b.outbox_id : null;
  if (oa != null && ob != null) return ob - oa;
  const ka = itemKey(a);
  const kb = itemKey(b);
  return ka < kb ? 1 : ka > kb ? -1 : 0;
}

/** Merges items into a newest-first list: one entry per item, the furthest state wins. */
export function mergeItems(current: Item[], incoming: Item[]): Item[] {
  const map = new Map<string, Item>();
  for (const item of current) map.set(itemKey(item), item);
  for (const item of incoming) {
    const key = itemKey(item);
    const old = map.get(key);
    if (!old || statusRank(item) >= statusRank(old)) map.set(key, item);
  }
  return [...map.values()].sort(byNewest);
}

/** The first page (replaces a loading state, keeps live items that arrived meanwhile). */
export function applyFirstPage(state: ThreadState, page: ThreadPage): ThreadState {
  return {
    ...state,
    name: page.name,
    items: mergeItems(withoutReported(state.items, page.items), page.items),
    next: page.next,
    loading: false,
    archived: page.archived ?? false,
    blocked: page.blocked ?? false,
  };
}

/** An older page from `before=next`. */
export function applyOlderPage(state: ThreadState, page: ThreadPage): ThreadState {
  return { ...state, items: mergeItems(state.items, page.items), next: page.next };
}

/** A live item from `/ws`: this tab's pending copy of a text gives way to the server's. */
export function applyLiveItem(state: ThreadState, item: Item): ThreadState {
  return { ...state, items: mergeItems(withoutReported(state.items, [item]), [item]) };
}

/**
 * Drops this tab's pending texts that the server now reports: by outbox row once the send was
 * accepted, else (the report came before the answer to the send) the oldest pending text with
 * the same body.
 */
function withoutReported(items: Item[], reported: Item[]): Item[] {
  let out = items;
  for (const r of reported) {
    if (r.kind !== 'message' || r.direction !== 'outbound' || r.pending) continue;
    const pending = (i: Item): i is MessageItem => i.kind === 'message' && i.pending === true;
    let idx = r.outbox_id == null ? -1 : out.findIndex((i) => pending(i) && i.outbox_id === r.outbox_id);
    if (idx < 0) {
      // Newest first: the last match is the oldest.
      out.forEach((i, n) => {
        if (pending(i) && i.outbox_id == null && i.body === r.body) idx = n;
      });
    }
    if (idx >= 0) out = out.filter((_, n) => n !== idx);
  }
  return out;
}

/**
 * vbx accepted a text this tab is sending, as outbox row `outboxId`: the pending copy takes that
 * identity (or goes, if the server already reported the text).
 */
export function acceptPending(state: ThreadState, localSid: string, outboxId: number): ThreadState {
  const reported = state.items.some((i) => i.kind === 'message' && !i.pending && i.outbox_id === outboxId);
  const items = reported
    ? state.items.filter((i) => !(i.kind === 'message' && i.sid === localSid))
    : state.items.map((i) => (i.kind === 'message' && i.sid === localSid ? { ...i, outbox_id: outboxId } : i));
  return { ...state, items: mergeItems([], items) };
}

let localCounter = 0;

/** A message this tab is sending, shown until the server reports it. */
export function pendingMessage(body: string, at: number, mediaUrls: string[] = []): MessageItem {
  localCounter += 1;
  return {
    kind: 'message',
    sid: `local-${localCounter}`,
    direction: 'outbound',
    body,
    media: mediaUrls.map((url) => ({ url, content_type: 'image/*' })),
    status: 'queued',
    error: null,
    at,
    pending: true,
  };
}

/** Marks a pending message failed (the POST was refused). */
export function failPending(state: ThreadState, sid: string, error: string): ThreadState {
  return {
    ...state,
    items: state.items.map((i) =>
      i.kind === 'message' && i.sid === sid ? { ...i, status: 'failed', error } : i,
    ),
  };
}

/** Oldest first, for display. */
export function displayOrder(state: ThreadState): Item[] {
  return [...state.items].reverse();
}
