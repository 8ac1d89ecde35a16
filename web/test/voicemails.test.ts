import { describe, expect, it } from 'vitest';
import type { Voicemail, VoicemailItem } from '../src/types';
import {
  applyNewCount,
  applyVoicemailItem,
  applyVoicemailName,
  applyVoicemailPage,
  dropVoicemail,
  emptyVoicemails,
  markHeard,
  transcriptText,
  TRANSCRIPT_WAIT_MS,
  type VoicemailsState,
} from '../src/voicemails';

const ANN = '+15550000001';

function vm(sid: string, at: number, extra: Partial<Voicemail> = {}): Voicemail {
  return { sid, call_sid: `CA${sid}`, url: `/api/recordings/${sid}`, duration: 9, transcription: null, transcription_status: null, heard: false, at, number: ANN, name: 'Ann', ...extra };
}

function item(v: Voicemail): VoicemailItem {
  const { number: _n, name: _m, ...rest } = v;
  return { kind: 'voicemail', ...rest };
}

function loaded(items: Voicemail[], next: string | null = null): VoicemailsState {
  return applyVoicemailPage(emptyVoicemails(), { items, next }, false);
}

const sids = (s: VoicemailsState) => s.items.map((v) => v.sid);

describe('pages of the voicemail box', () => {
  it('replaces the list with a first page but keeps what arrived live meanwhile', () => {
    let s = applyVoicemailItem(emptyVoicemails(), item(vm('RE9', 90)), ANN, 'Ann');
    s = applyVoicemailPage(s, { items: [vm('RE5', 50), vm('RE4', 40)], next: 'c1' }, false);
    expect(sids(s)).toEqual(['RE9', 'RE5', 'RE4']);
    expect(s.loading).toBe(false);
    expect(s.next).toBe('c1');
    // Reloaded: the first page is what there is (a voicemail deleted meanwhile is gone).
    s = applyVoicemailPage(s, { items: [vm('RE9', 90), vm('RE4', 40)], next: null }, false);
    expect(sids(s)).toEqual(['RE9', 'RE4']);
  });
  it('adds an older page after the loaded ones, newest first', () => {
    let s = loaded([vm('RE5', 50), vm('RE4', 40)], 'c1');
    s = applyVoicemailPage(s, { items: [vm('RE2', 20), vm('RE1', 10)], next: null }, true);
    expect(sids(s)).toEqual(['RE5', 'RE4', 'RE2', 'RE1']);
    expect(s.next).toBeNull();
  });
  it('does not take back a heard mark or a transcript from a page loaded before them', () => {
    let s = loaded([vm('RE5', 50)]);
    s = markHeard(s, 'RE5');
    s = applyVoicemailItem(s, item(vm('RE5', 50, { transcription: 'hi', transcription_status: 'completed' })), ANN, 'Ann');
    s = applyVoicemailPage(s, { items: [vm('RE5', 50, { transcription_status: 'in-progress' })], next: null }, false);
    expect(s.items[0]).toMatchObject({ heard: true, transcription: 'hi', transcription_status: 'completed' });
  });
});

describe('live voicemails', () => {
  it('puts a new voicemail in its place with who left it', () => {
    let s = loaded([vm('RE5', 50), vm('RE1', 10)]);
    s = applyVoicemailItem(s, item(vm('RE3', 30)), '+15550000002', null);
    expect(sids(s)).toEqual(['RE5', 'RE3', 'RE1']);
    expect(s.items[1]).toMatchObject({ number: '+15550000002', name: null, heard: false });
  });
  it('changes a listed voicemail in place when it is transcribed or heard', () => {
    let s = loaded([vm('RE5', 50)]);
    s = applyVoicemailItem(s, item(vm('RE5', 50, { transcription: 'call me', transcription_status: 'completed', heard: true })), ANN, null);
    expect(s.items).toHaveLength(1);
    expect(s.items[0]).toMatchObject({ transcription: 'call me', heard: true, name: 'Ann' });
  });
  it('leaves one older than the loaded pages to the paging', () => {
    const s = loaded([vm('RE5', 50)], 'c1');
    expect(applyVoicemailItem(s, item(vm('RE1', 10)), ANN, 'Ann')).toBe(s);
  });
  it('marks one heard and drops one deleted', () => {
    let s = loaded([vm('RE5', 50), vm('RE4', 40)]);
    s = markHeard(s, 'RE4');
    expect(s.items.map((v) => v.heard)).toEqual([false, true]);
    expect(markHeard(s, 'RE4')).toBe(s);
    s = dropVoicemail(s, 'RE5');
    expect(sids(s)).toEqual(['RE4']);
    expect(dropVoicemail(s, 'RE5')).toBe(s);
  });
  it('renames the voicemails of a contact', () => {
    const s = applyVoicemailName(loaded([vm('RE5', 50), vm('RE4', 40, { number: '+15550000002', name: null })]), ANN, 'Ann B.');
    expect(s.items.map((v) => v.name)).toEqual(['Ann B.', null]);
  });
});

describe('the count of new voicemails from other tabs', () => {
  it('hears every listed voicemail when none is new', () => {
    const { state, reload } = applyNewCount(loaded([vm('RE5', 50), vm('RE4', 40)]), 0);
    expect(state.items.every((v) => v.heard)).toBe(true);
    expect(reload).toBe(false);
  });
  it('asks for the list again when fewer are new than it shows, and not otherwise', () => {
    const s = loaded([vm('RE5', 50), vm('RE4', 40), vm('RE3', 30, { heard: true })]);
    expect(applyNewCount(s, 1).reload).toBe(true);
    expect(applyNewCount(s, 2).reload).toBe(false);
    // Some new ones may be on pages not loaded yet.
    expect(applyNewCount(s, 5).reload).toBe(false);
    expect(applyNewCount(emptyVoicemails(), 0).reload).toBe(false);
  });
});

describe('transcriptText', () => {
  const now = 1_000_000_000;
  it('is the words when there are some', () => {
    expect(transcriptText({ transcription: 'Call me back.', transcription_status: 'completed', at: now }, now)).toEqual({ text: 'Call me back.', waiting: false, missing: false });
  });
  it('says a transcript is coming while Twilio works on it, for a while', () => {
    const coming = { transcription: null, transcription_status: 'in-progress', at: now - 30_000 };
    expect(transcriptText(coming, now).text).toBe('Transcribing…');
    expect(transcriptText(coming, now - 30_000 + TRANSCRIPT_WAIT_MS).text).toBe('No transcript');
  });
  it('says there is none when none was asked for, Twilio failed, or it came empty', () => {
    for (const [transcription, transcription_status] of [
      [null, null],
      [null, 'failed'],
      ['  ', 'completed'],
    ] as const) {
      expect(transcriptText({ transcription, transcription_status, at: now }, now)).toEqual({ text: 'No transcript', waiting: false, missing: true });
    }
  });
});
