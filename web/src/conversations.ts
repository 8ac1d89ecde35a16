// Pure state of the conversations list: pages from the API, live events moving a conversation to
// the top, unread counts, and names from the contacts.

import { callSummary } from './calls';
import type { Conversation, ConversationView, Item, LastActivity, Page, SearchHit } from './types';

export interface ConversationsState {
  query: string;
  /** Inbox or archive; a search (`query`) looks at both. */
  view: ConversationView;
  items: Conversation[];
  next: string | null;
  loading: boolean;
  /** Texts and voicemails whose words match the search (null: not searched, or loading). */
  hits: SearchHit[] | null;
  hitsNext: string | null;
}

export function emptyConversations(query = '', view: ConversationView = 'inbox'): ConversationsState {
  return { query, view, items: [], next: null, loading: true, hits: null, hitsNext: null };
}

function byActivity(a: Conversation, b: Conversation): number {
  return (b.last?.at ?? 0) - (a.last?.at ?? 0);
}

/** A page of the list; a first page (`append` false) replaces what was there. */
export function applyPage(
  state: ConversationsState,
  page: Page<Conversation>,
  append: boolean,
): ConversationsState {
  const map = new Map<string, Conversation>();
  if (append) for (const c of state.items) map.set(c.number, c);
  for (const raw of page.items) {
    // The API gives a call's outcome as its text; the list says it in words.
    const c = raw.last?.kind === 'call' ? { ...raw, last: { ...raw.last, text: callSummary(raw.last.direction, raw.last.text) } } : raw;
    const old = map.get(c.number);
    if (!old || (c.last?.at ?? 0) >= (old.last?.at ?? 0)) map.set(c.number, c);
  }
  return { ...state, items: [...map.values()].sort(byActivity), next: page.next, loading: false };
}

/** The line a list row shows under the name. */
export function previewText(last: LastActivity): string {
  switch (last.kind) {
    case 'message':
      return `${last.direction === 'outbound' ? 'You: ' : ''}${last.text}`;
    case 'call':
      return last.text;
    case 'voicemail':
      return last.text ? `Voicemail: ${last.text}` : 'Voicemail';
  }
}

/** What a list row says about an item. */
export function summarize(item: Item): LastActivity {
  switch (item.kind) {
    case 'message': {
      const text = item.body !== '' ? item.body : item.media.length > 0 ? 'Picture' : '';
      return { kind: 'message', text, direction: item.direction, at: item.at };
    }
    case 'call':
      return { kind: 'call', text: callSummary(item.direction, item.outcome), direction: item.direction, at: item.at };
    case 'voicemail':
      return { kind: 'voicemail', text: item.transcription ?? '', direction: 'inbound', at: item.at };
  }
}

/** Whether a search query would show this conversation (name or number digits). */
export function matchesQuery(query: string, number: string, name: string | null): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  if (name && name.toLowerCase().includes(q)) return true;
  const digits = q.replace(/\D/g, '');
  return digits !== '' && number.replace(/\D/g, '').includes(digits);
}

/** A live item: updates the row's last activity and moves it to the top, or adds a row. */
export function applyLiveItem(
  state: ConversationsState,
  number: string,
  item: Item,
  nameOf: (number: string) => string | null,
): ConversationsState {
  const last = summarize(item);
  const existing = state.items.find((c) => c.number === number);
  let items: Conversation[];
  const archive = state.view === 'archived' && state.query === '';
  if (existing) {
    if (existing.last && existing.last.at > last.at) return state;
    // Something new takes a conversation out of the archive.
    if (archive) return { ...state, items: state.items.filter((c) => c.number !== number) };
    items = state.items.map((c) => (c.number === number ? { ...c, last, archived: false } : c));
  } else {
    const name = nameOf(number);
    if (archive || !matchesQuery(state.query, number, name)) return state;
    items = [...state.items, { number, name, last, unread: 0 }];
  }
  return { ...state, items: items.sort(byActivity) };
}

export function applyUnread(state: ConversationsState, number: string, unread: number): ConversationsState {
  if (!state.items.some((c) => c.number === number && c.unread !== unread)) return state;
  return { ...state, items: state.items.map((c) => (c.number === number ? { ...c, unread } : c)) };
}

/** A contact was added, renamed (name) or deleted (null). */
export function applyName(state: ConversationsState, number: string, name: string | null): ConversationsState {
  if (!state.items.some((c) => c.number === number)) return state;
  return { ...state, items: state.items.map((c) => (c.number === number ? { ...c, name } : c)) };
}

/**
 * A conversation was archived, taken out of the archive, blocked or unblocked: whether the list
 * still shows it, and with which marks. `null`: it belongs in the list but is not in it (the
 * page has to be loaded again to place it).
 */
export function applyMarks(
  state: ConversationsState,
  number: string,
  marks: { archived: boolean; blocked: boolean },
): ConversationsState | null {
  const existing = state.items.find((c) => c.number === number);
  const belongs = state.query !== '' || (state.view === 'inbox' ? !marks.archived && !marks.blocked : marks.archived && !marks.blocked);
  if (!belongs) return existing ? { ...state, items: state.items.filter((c) => c.number !== number) } : state;
  if (!existing) return state.query !== '' ? state : null;
  return { ...state, items: state.items.map((c) => (c.number === number ? { ...c, ...marks } : c)) };
}

/** A snippet split into plain and matching parts (the server marks matches U+E000…U+E001). */
export function snippetParts(snippet: string): { text: string; match: boolean }[] {
  const parts: { text: string; match: boolean }[] = [];
  let rest = snippet;
  while (rest !== '') {
    const start = rest.indexOf('\uE000');
    if (start < 0) {
      parts.push({ text: rest, match: false });
      break;
    }
    if (start > 0) parts.push({ text: rest.slice(0, start), match: false });
    const end = rest.indexOf('\uE001', start + 1);
    const stop = end < 0 ? rest.length : end;
    parts.push({ text: rest.slice(start + 1, stop), match: true });
    rest = end < 0 ? '' : rest.slice(end + 1);
  }
  return parts.filter((p) => p.text !== '');
}
