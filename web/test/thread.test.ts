import { describe, expect, it } from 'vitest';
import {
  acceptPending,
  applyFirstPage,
  applyLiveItem,
  applyOlderPage,
  displayOrder,
  emptyThread,
  failPending,
  mergeItems,
  pendingMessage,
} from '../src/thread';
import type { CallItem, MessageItem, VoicemailItem } from '../src/types';

function msg(sid: string, at: number, extra: Partial<MessageItem> = {}): MessageItem {
  return { kind: 'message', sid, direction: 'inbound', body: `body ${sid}`, media: [], status: 'received', error: null, at, ...extra };
}
function call(sid: string, at: number, status = 'completed'): CallItem {
  return { kind: 'call', sid, direction: 'inbound', status, duration: 10, at, outcome: status === 'completed' ? 'answered' : 'ringing', answered_to: null, talk: null, call_recording: null };
}
function vm(sid: string, at: number, transcription: string | null = null, extra: Partial<VoicemailItem> = {}): VoicemailItem {
  return { kind: 'voicemail', sid, call_sid: 'CA1', url: `/api/recordings/${sid}`, duration: 5, transcription, transcription_status: transcription === null ? null : 'completed', heard: false, at, ...extra };
}

describe('mergeItems', () => {
  it('keeps one entry per item and orders newest first', () => {
    const merged = mergeItems([msg('SM1', 10), msg('SM2', 30)], [msg('SM2', 30), call('CA1', 20)]);
    expect(merged.map((i) => i.sid)).toEqual(['SM2', 'CA1', 'SM1']);
  });
  it('lets a message and a call share a sid-like string without clashing', () => {
    expect(mergeItems([], [call('X1', 1), msg('X1', 2)]).length).toBe(2);
  });
  it('never moves a delivery status backwards', () => {
    const delivered = msg('SM1', 10, { direction: 'outbound', status: 'delivered' });
    const lateSent = msg('SM1', 10, { direction: 'outbound', status: 'sent' });
    expect(mergeItems([delivered], [lateSent])[0]).toBe(delivered);
    expect(mergeItems([lateSent], [delivered])[0]).toBe(delivered);
  });
  it('never turns a finished call back into a ringing one', () => {
    expect((mergeItems([call('CA1', 5, 'completed')], [call('CA1', 5, 'ringing')])[0] as CallItem).status).toBe('completed');
  });
  it('takes a voicemail transcription when it arrives, and keeps it after', () => {
    const withText = vm('RE1', 5, 'call me back');
    expect(mergeItems([vm('RE1', 5)], [withText])[0]).toBe(withText);
    expect(mergeItems([withText], [vm('RE1', 5)])[0]).toBe(withText);
  });
  it('never turns a heard voicemail back into a new one, nor a failed transcript back into a coming one', () => {
    const coming = vm('RE1', 5, null, { transcription_status: 'in-progress' });
    const failed = vm('RE1', 5, null, { transcription_status: 'failed' });
    expect(mergeItems([coming], [failed])[0]).toBe(failed);
    expect(mergeItems([failed], [coming])[0]).toBe(failed);
    const heard = vm('RE1', 5, 'hi', { heard: true });
    expect(mergeItems([heard], [vm('RE1', 5, 'hi')])[0]).toBe(heard);
    expect(mergeItems([vm('RE1', 5, 'hi')], [heard])[0]).toBe(heard);
  });
  it('orders items with the same time by sid so the order is stable', () => {
    const a = mergeItems([], [msg('SMa', 5), msg('SMb', 5)]).map((i) => i.sid);
    const b = mergeItems([], [msg('SMb', 5), msg('SMa', 5)]).map((i) => i.sid);
    expect(a).toEqual(b);
  });
});

describe('paging', () => {
  it('keeps a live item that arrived before the first page', () => {
    let t = emptyThread('+15551234567');
    t = applyLiveItem(t, msg('SM9', 90));
    t = applyFirstPage(t, { number: '+15551234567', name: 'Alice', items: [msg('SM5', 50)], next: 'c1' });
    expect(t.items.map((i) => i.sid)).toEqual(['SM9', 'SM5']);
    expect(t.loading).toBe(false);
    expect(t.name).toBe('Alice');
    expect(t.next).toBe('c1');
  });
  it('appends older pages and ends when the cursor is null', () => {
    let t = applyFirstPage(emptyThread('+1'), { number: '+1', name: null, items: [msg('SM5', 50), msg('SM4', 40)], next: 'c1' });
    t = applyOlderPage(t, { number: '+1', name: null, items: [msg('SM4', 40), msg('SM3', 30)], next: null });
    expect(t.items.map((i) => i.sid)).toEqual(['SM5', 'SM4', 'SM3']);
    expect(t.next).toBeNull();
    expect(displayOrder(t).map((i) => i.sid)).toEqual(['SM3', 'SM4', 'SM5']);
  });
});

describe('sending', () => {
  it('shows a pending message once, replaced by the server copy of the same text', () => {
    let t = applyFirstPage(emptyThread('+1'), { number: '+1', name: null, items: [], next: null });
    const p = pendingMessage('on my way', 100);
    t = applyLiveItem(t, p);
    expect(t.items).toEqual([p]);
    t = applyLiveItem(t, msg('SM1', 101, { direction: 'outbound', body: 'on my way', status: 'queued' }));
    expect(t.items.map((i) => i.sid)).toEqual(['SM1']);
    t = applyLiveItem(t, msg('SM1', 101, { direction: 'outbound', body: 'on my way', status: 'delivered' }));
    expect(t.items.length).toBe(1);
    expect((t.items[0] as MessageItem).status).toBe('delivered');
  });
  it('replaces only one pending copy when the same text was sent twice', () => {
    let t = emptyThread('+1');
    t = applyLiveItem(t, pendingMessage('ok', 100));
    t = applyLiveItem(t, pendingMessage('ok', 101));
    t = applyLiveItem(t, msg('SM1', 102, { direction: 'outbound', body: 'ok', status: 'sent' }));
    expect(t.items.filter((i) => i.kind === 'message' && i.pending).length).toBe(1);
    expect(t.items.length).toBe(2);
  });
  it('leaves pending messages alone for an inbound message with the same text', () => {
    let t = applyLiveItem(emptyThread('+1'), pendingMessage('hi', 100));
    t = applyLiveItem(t, msg('SM2', 101, { body: 'hi' }));
    expect(t.items.length).toBe(2);
  });
  it('marks a refused send failed with the reason', () => {
    const p = pendingMessage('x', 1);
    const t = failPending(applyLiveItem(emptyThread('+1'), p), p.sid as string, 'Twilio said no');
    expect(t.items[0]).toMatchObject({ status: 'failed', error: 'Twilio said no' });
  });
});

describe('a text sent from here, from queued to delivered', () => {
  const out = (sid: string | null, outbox: number, status: string, body = 'hello', at = 100): MessageItem =>
    msg(sid as string, at, { direction: 'outbound', outbox_id: outbox, status, body, sid });

  it('is one bubble whether vbx reports it queued without a SID or sent with one', () => {
    let t = emptyThread('+1');
    t = applyLiveItem(t, out(null, 7, 'queued'));
    t = applyLiveItem(t, out('SM7', 7, 'sent'));
    t = applyLiveItem(t, out('SM7', 7, 'delivered'));
    expect(t.items).toHaveLength(1);
    expect(t.items[0]).toMatchObject({ sid: 'SM7', status: 'delivered' });
  });

  it('orders texts sent in the same millisecond by the order vbx queued them', () => {
    let t = emptyThread('+1');
    for (const id of [10, 9, 11]) t = applyLiveItem(t, out(`SM${id}`, id, 'sent', `n${id}`));
    expect(displayOrder(t).map((i) => (i as MessageItem).body)).toEqual(['n9', 'n10', 'n11']);
  });

  it('keeps two texts queued at once apart, even with the same words', () => {
    let t = emptyThread('+1');
    t = applyLiveItem(t, out(null, 1, 'queued'));
    t = applyLiveItem(t, out(null, 2, 'queued'));
    expect(t.items.map((i) => (i as MessageItem).outbox_id).sort()).toEqual([1, 2]);
  });

  it('replaces this tab’s pending bubble, whichever of the reply to the send and the live report comes first', () => {
    const first = pendingMessage('hello', 100);
    let t = applyLiveItem(emptyThread('+1'), first);
    t = acceptPending(t, first.sid as string, 7);
    t = applyLiveItem(t, out(null, 7, 'queued'));
    expect(t.items).toHaveLength(1);
    expect(t.items[0]).toMatchObject({ outbox_id: 7, status: 'queued' });
    expect((t.items[0] as MessageItem).pending).toBeFalsy();

    const second = pendingMessage('hello', 200);
    t = applyLiveItem(t, second);
    t = applyLiveItem(t, out(null, 8, 'queued', 'hello', 200));
    t = acceptPending(t, second.sid as string, 8);
    t = applyLiveItem(t, out('SM8', 8, 'sent', 'hello', 200));
    expect(t.items.map((i) => [(i as MessageItem).outbox_id, i.sid])).toEqual([
      [8, 'SM8'],
      [7, null],
    ]);
  });
});
