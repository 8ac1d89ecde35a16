import { describe, expect, it } from 'vitest';
import { applyLiveItem, applyMarks, applyName, applyPage, snippetParts, applyUnread, emptyConversations, matchesQuery, previewText, summarize } from '../src/conversations';
import type { Conversation, MessageItem } from '../src/types';

function conv(number: string, at: number, unread = 0, name: string | null = null): Conversation {
  return { number, name, unread, last: { kind: 'message', text: 't', direction: 'inbound', at } };
}
function msg(at: number, extra: Partial<MessageItem> = {}): MessageItem {
  return { kind: 'message', sid: `SM${at}`, direction: 'inbound', body: 'hello', media: [], status: 'received', error: null, at, ...extra };
}
const noName = () => null;

describe('conversations list', () => {
  it('replaces the list with a first page and appends later pages without duplicates', () => {
    let s = applyPage(emptyConversations(), { items: [conv('+1', 30), conv('+2', 20)], next: 'c' }, false);
    s = applyPage(s, { items: [conv('+2', 20), conv('+3', 10)], next: null }, true);
    expect(s.items.map((c) => c.number)).toEqual(['+1', '+2', '+3']);
    expect(s.next).toBeNull();
    s = applyPage(s, { items: [conv('+9', 5)], next: null }, false);
    expect(s.items.map((c) => c.number)).toEqual(['+9']);
  });
  it('moves a conversation to the top when something new happens in it', () => {
    let s = applyPage(emptyConversations(), { items: [conv('+1', 30), conv('+2', 20)], next: null }, false);
    s = applyLiveItem(s, '+2', msg(40), noName);
    expect(s.items.map((c) => c.number)).toEqual(['+2', '+1']);
    expect(s.items[0]?.last).toEqual({ kind: 'message', text: 'hello', direction: 'inbound', at: 40 });
  });
  it('ignores an event older than what the row shows (a replayed status change)', () => {
    const s = applyPage(emptyConversations(), { items: [conv('+1', 30)], next: null }, false);
    expect(applyLiveItem(s, '+1', msg(10), noName)).toBe(s);
  });
  it('adds a row for a new number, named from the contacts', () => {
    const s = applyLiveItem(emptyConversations(), '+5', msg(1), (n) => (n === '+5' ? 'Eve' : null));
    expect(s.items).toEqual([{ number: '+5', name: 'Eve', unread: 0, last: summarize(msg(1)) }]);
  });
  it('does not add a new number that the current search would not show', () => {
    const s = emptyConversations('alice');
    expect(applyLiveItem(s, '+15550001111', msg(1), () => 'Bob').items).toEqual([]);
    expect(applyLiveItem(s, '+15550001111', msg(1), () => 'Alice B').items.length).toBe(1);
  });
  it('sets unread counts and names', () => {
    let s = applyPage(emptyConversations(), { items: [conv('+1', 30, 0)], next: null }, false);
    s = applyUnread(s, '+1', 3);
    expect(s.items[0]?.unread).toBe(3);
    s = applyName(s, '+1', 'Zed');
    expect(s.items[0]?.name).toBe('Zed');
  });
});

describe('summarize', () => {
  it('says what a call, a missed call, a picture and a voicemail were', () => {
    const base = { kind: 'call', sid: 'CA', duration: null, at: 1, answered_to: null, talk: null, call_recording: null } as const;
    // Twilio says `completed` for a call nobody picked up; the outcome says what it was.
    expect(summarize({ ...base, direction: 'inbound', status: 'completed', outcome: 'missed' }).text).toBe('Missed call');
    expect(summarize({ ...base, direction: 'inbound', status: 'completed', outcome: 'answered', answered_to: 'client:vbx', talk: 3 }).text).toBe('Answered call');
    expect(summarize({ ...base, direction: 'outbound', status: 'completed', outcome: 'answered', talk: 3 }).text).toBe('Outgoing call');
    expect(summarize({ ...base, direction: 'outbound', status: 'completed', outcome: 'no-answer' }).text).toBe('Outgoing call · no answer');
    expect(summarize(msg(1, { body: '', media: [{ url: '/m', content_type: 'image/png' }] })).text).toBe('Picture');
    const voicemail = { kind: 'voicemail', sid: 'RE', call_sid: 'CA', url: '/r', duration: 4, transcription: null, transcription_status: null, heard: false, at: 1 } as const;
    expect(previewText(summarize(voicemail))).toBe('Voicemail');
    expect(previewText(summarize({ ...voicemail, transcription: 'call me back' }))).toBe('Voicemail: call me back');
    expect(previewText(summarize(msg(1, { direction: 'outbound', body: 'hi' })))).toBe('You: hi');
  });

  it('says what a call was for a page from the API too, which gives the call’s outcome', () => {
    const page = {
      items: [
        { number: '+15550000001', name: null, unread: 0, last: { kind: 'call' as const, text: 'answered', direction: 'inbound' as const, at: 3 } },
        { number: '+15550000002', name: null, unread: 0, last: { kind: 'call' as const, text: 'missed', direction: 'inbound' as const, at: 2 } },
        { number: '+15550000003', name: null, unread: 0, last: { kind: 'call' as const, text: 'voicemail', direction: 'inbound' as const, at: 1 } },
      ],
      next: null,
    };
    const state = applyPage(emptyConversations(), page, false);
    expect(state.items.map((c) => c.last && previewText(c.last))).toEqual(['Answered call', 'Missed call', 'Missed call, went to voicemail']);
  });
});

describe('matchesQuery', () => {
  it('matches names case-insensitively and numbers by digits', () => {
    expect(matchesQuery('ali', '+15551234567', 'Alice')).toBe(true);
    expect(matchesQuery('(555) 123', '+15551234567', null)).toBe(true);
    expect(matchesQuery('999', '+15551234567', 'Alice')).toBe(false);
    expect(matchesQuery('bob', '+15551234567', null)).toBe(false);
  });

  it('drops a conversation archived or blocked from the inbox, and asks for the page to place one that comes back', () => {
    const s = applyPage(emptyConversations(), { items: [conv('+1', 30), conv('+2', 20)], next: null }, false);
    expect(applyMarks(s, '+1', { archived: true, blocked: false })?.items.map((c) => c.number)).toEqual(['+2']);
    expect(applyMarks(s, '+2', { archived: false, blocked: true })?.items.map((c) => c.number)).toEqual(['+1']);
    // Back in the inbox but not in the loaded page: only the server knows where it goes.
    expect(applyMarks(s, '+7', { archived: false, blocked: false })).toBeNull();
    expect(applyMarks(s, '+7', { archived: true, blocked: false })).toBe(s);
  });
  it('shows the archive: archived conversations only, and something new takes one out', () => {
    let s = applyPage(emptyConversations('', 'archived'), { items: [conv('+1', 30)], next: null }, false);
    expect(applyMarks(s, '+1', { archived: false, blocked: false })?.items).toEqual([]);
    expect(applyMarks(s, '+1', { archived: true, blocked: true })?.items).toEqual([]);
    expect(applyLiveItem(s, '+9', msg(50), noName)).toBe(s);
    s = applyLiveItem(s, '+1', msg(40), noName);
    expect(s.items).toEqual([]);
  });
  it('keeps a searched conversation whatever its marks, and shows them', () => {
    const s = applyPage(emptyConversations('1'), { items: [conv('+1', 30)], next: null }, false);
    expect(applyMarks(s, '+1', { archived: true, blocked: true })?.items[0]).toMatchObject({ number: '+1', archived: true, blocked: true });
  });

  it('splits a search snippet into plain and marked words, whatever the text holds', () => {
    expect(snippetParts('Get \uE000pizza\uE001 at <b>7</b>')).toEqual([
      { text: 'Get ', match: false },
      { text: 'pizza', match: true },
      { text: ' at <b>7</b>', match: false },
    ]);
    expect(snippetParts('\uE000a\uE001\uE000b\uE001')).toEqual([
      { text: 'a', match: true },
      { text: 'b', match: true },
    ]);
    expect(snippetParts('cut \uE000off')).toEqual([
      { text: 'cut ', match: false },
      { text: 'off', match: true },
    ]);
    expect(snippetParts('')).toEqual([]);
  });

  it('says a call from a blocked number was blocked, not missed', () => {
    const call = { kind: 'call' as const, sid: 'CA1', direction: 'inbound' as const, status: 'busy', duration: null, at: 5, answered_to: null, talk: null, call_recording: null };
    expect(summarize({ ...call, outcome: 'missed' }).text).toBe('Missed call');
    expect(summarize({ ...call, blocked: true, outcome: 'rejected' }).text).toBe('Blocked call');
    const s = applyPage(emptyConversations(''), { items: [{ number: '+1', name: null, unread: 0, last: { kind: 'call', text: 'rejected', direction: 'inbound', at: 5 } }], next: null }, false);
    expect(s.items[0]?.last?.text).toBe('Blocked call');
  });
});
