// @vitest-environment happy-dom
// Where recordings play: a recorded call from its row in the thread and the call log, a
// voicemail wherever it shows (playing it hears it), and the voicemail box.
import { render } from 'preact';
import { describe, expect, it } from 'vitest';
import type { App } from '../src/app';
import { initialState, type State } from '../src/store';
import { emptyThread } from '../src/thread';
import type { CallItem, CallRecord, Voicemail, VoicemailItem } from '../src/types';
import { CallLog } from '../src/ui/calls';
import { AppContext } from '../src/ui/context';
import { Thread } from '../src/ui/thread';
import { VoicemailBox } from '../src/ui/voicemail';

const ANN = '+15550000001';
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

const recordedCall: CallItem = {
  kind: 'call',
  sid: 'CA1',
  direction: 'inbound',
  status: 'completed',
  duration: 120,
  at: 1_000,
  outcome: 'answered',
  answered_to: 'client:vbx',
  talk: 95,
  call_recording: { sid: 'RE1', url: '/api/recordings/RE1', duration: 95 },
};
const voicemail: VoicemailItem = {
  kind: 'voicemail',
  sid: 'RE2',
  call_sid: 'CA2',
  url: '/api/recordings/RE2',
  duration: 9,
  transcription: null,
  transcription_status: 'in-progress',
  heard: false,
  at: Date.now(),
};

function show(node: preact.ComponentChild, patch: Partial<State>): { root: HTMLElement; heard: string[] } {
  const heard: string[] = [];
  const app = {
    nameOf: () => null,
    markHeard: async (sid: string) => {
      heard.push(sid);
    },
  } as unknown as App;
  const state = { ...initialState({ name: 'inbox' }), booting: false, ...patch };
  const root = document.createElement('div');
  render(<AppContext.Provider value={{ app, state }}>{node}</AppContext.Provider>, root);
  return { root, heard };
}

const sources = (root: HTMLElement) => [...root.querySelectorAll('audio')].map((a) => a.getAttribute('src'));

describe('recordings', () => {
  it('plays a recorded call from its row in the thread, and a voicemail that is heard once played', async () => {
    const thread = { ...emptyThread(ANN), loading: false, items: [voicemail, recordedCall] };
    const { root, heard } = show(<Thread />, { thread });
    await settle();
    expect(sources(root)).toEqual(['/api/recordings/RE1', '/api/recordings/RE2']);
    expect(root.querySelector('[data-sid="CA1"] audio')?.getAttribute('aria-label')).toBe('Recording of the call (1:35)');
    expect(root.querySelector('.voicemail .transcript')?.textContent).toBe('Transcribing…');
    root.querySelector('.voicemail audio')?.dispatchEvent(new Event('play'));
    expect(heard).toEqual(['RE2']);
  });

  it('plays a recorded call and a voicemail from their rows in the call log', async () => {
    const entry = (sid: string, patch: Partial<CallRecord>): CallRecord => ({
      sid,
      from: ANN,
      to: '+18001234567',
      name: null,
      direction: 'inbound',
      status: 'completed',
      duration: 30,
      at: 1_000,
      recording: null,
      call_recording: null,
      outcome: 'answered',
      answered_to: null,
      talk: 20,
      ...patch,
    });
    const items = [entry('CA1', { call_recording: recordedCall.call_recording }), entry('CA2', { recording: voicemail, outcome: 'voicemail' }), entry('CA3', {})];
    const { root } = show(<CallLog />, { callLog: { filter: { direction: '', outcome: '' }, items, next: null, loading: false } });
    await settle();
    expect(root.querySelectorAll('li[data-sid="CA1"] audio')).toHaveLength(1);
    expect(root.querySelector('li[data-sid="CA2"] audio')?.getAttribute('src')).toBe('/api/recordings/RE2');
    expect(root.querySelectorAll('li[data-sid="CA3"] audio')).toHaveLength(0);
  });

  it('shows each voicemail of the box with its caller, player and transcript; playing one hears it', async () => {
    const v = (sid: string, patch: Partial<Voicemail>): Voicemail => {
      const { kind: _kind, ...item } = voicemail;
      return { ...item, sid, url: `/api/recordings/${sid}`, number: ANN, name: 'Ann', ...patch };
    };
    const items = [v('RE3', {}), v('RE4', { heard: true, transcription: 'See you.', transcription_status: 'completed', number: null, name: null })];
    const { root, heard } = show(<VoicemailBox />, { voicemails: { items, next: null, loading: false }, newVoicemails: 1 });
    await settle();
    const rows = [...root.querySelectorAll('li[data-sid]')];
    expect(rows.map((r) => r.getAttribute('aria-label'))).toEqual(['Voicemail from Ann, new', 'Voicemail from Unknown caller']);
    expect(rows[0]?.querySelector('a')?.getAttribute('href')).toBe(`/t/${encodeURIComponent(ANN)}`);
    expect(rows[0]?.textContent).toContain('Mark heard');
    expect(rows[1]?.textContent).not.toContain('Mark heard');
    expect(rows.map((r) => r.querySelector('.transcript')?.textContent)).toEqual(['Transcribing…', 'See you.']);
    rows[0]?.querySelector('audio')?.dispatchEvent(new Event('play'));
    expect(heard).toEqual(['RE3']);
  });
});
