// What a call was, said for people: from the server's one-word outcome (answered, voicemail,
// missed, …), who picked up and for how long. The server decides the outcome (from the Dial
// actions, status callbacks and recordings it stored; a blocked call is `rejected`); this only
// words it.

import { formatDuration, formatNumber } from './format';
import type { Direction } from './types';

/** What the app knows of a call to word it. */
export interface CallFacts {
  direction: Direction;
  /** `answered`, `voicemail`, `missed`, `rejected`, `busy`, `failed`, `no-answer`, `canceled`, `ringing`, `in-progress`. */
  outcome: string;
  /** Who picked up: `client:<identity>`, a number, or '' (one of several). */
  answered_to?: string | null;
  /** Seconds of talk. */
  talk?: number | null;
}

/** A device as `/api/status` lists it; `address` is where a call to it is put through. */
export interface DeviceAddress {
  name: string;
  type: string;
  address?: string;
}

/** "in the browser", "on cell", "at (555) 123-4567", or '' when vbx does not know who. */
export function answeredBy(to: string | null | undefined, devices: readonly DeviceAddress[], own?: string): string {
  if (!to) return '';
  const device = devices.find((d) => d.address === to);
  if (to.startsWith('client:')) return device && device.name !== 'browser' ? `in the browser (${device.name})` : 'in the browser';
  if (device) return `on ${device.name}`;
  return `at ${formatNumber(to, own)}`;
}

const OUTBOUND_END: Record<string, string> = { 'no-answer': 'no answer', busy: 'busy', failed: 'failed', canceled: 'canceled' };

/** A call's line in a thread and the call log; `missed` when nobody picked up a call to vbx. */
export function callText(c: CallFacts, devices: readonly DeviceAddress[] = [], own?: string): { text: string; missed: boolean } {
  const inbound = c.direction === 'inbound';
  const talk = c.talk != null ? ` · ${formatDuration(c.talk)}` : '';
  switch (c.outcome) {
    case 'rejected':
      return { text: 'Blocked call', missed: false };
    case 'ringing':
      return { text: inbound ? 'Ringing…' : 'Calling…', missed: false };
    case 'in-progress':
      return { text: inbound ? 'Incoming call in progress' : 'Outgoing call in progress', missed: false };
    case 'answered': {
      if (!inbound) return { text: `Outgoing call${talk}`, missed: false };
      const by = answeredBy(c.answered_to, devices, own);
      return { text: `Answered${by ? ` ${by}` : ''}${talk}`, missed: false };
    }
    case 'voicemail':
      return { text: 'Missed call, went to voicemail', missed: true };
    case 'missed':
      return { text: 'Missed call', missed: true };
    case 'busy':
      return inbound ? { text: 'Missed call (busy)', missed: true } : { text: 'Outgoing call · busy', missed: false };
    case 'failed':
      return inbound ? { text: 'Call failed to connect', missed: true } : { text: 'Outgoing call · failed', missed: false };
    default:
      return { text: `${inbound ? 'Incoming' : 'Outgoing'} call · ${OUTBOUND_END[c.outcome] ?? c.outcome}`, missed: false };
  }
}

/** A call in a few words, for a conversation row (which knows only the outcome). */
export function callSummary(direction: Direction, outcome: string): string {
  const { text } = callText({ direction, outcome });
  return text === 'Answered' ? 'Answered call' : text;
}

/** What a call went through in the flows, on one line ("open · pressed 1 → sales · rang browser,
 *  cell"), or null when vbx ran no flow for it (a call placed from the app). */
export function callPath(path: readonly string[] | undefined): string | null {
  const steps = (path ?? []).map((s) => s.trim()).filter((s) => s.length > 0);
  return steps.length > 0 ? steps.join(' · ') : null;
}
