import { describe, expect, it } from 'vitest';
import { answeredBy, callPath, callSummary, callText, type DeviceAddress } from '../src/calls';

const DEVICES: DeviceAddress[] = [
  { name: 'browser', type: 'browser', address: 'client:vbx' },
  { name: 'cell', type: 'cell', address: '+18005555555' },
  { name: 'jabber', type: 'xmpp' },
];

describe('callText', () => {
  it('names where an incoming call was answered, with the talk time', () => {
    expect(callText({ direction: 'inbound', outcome: 'answered', answered_to: 'client:vbx', talk: 36 }, DEVICES)).toEqual({ text: 'Answered in the browser · 0:36', missed: false });
    expect(callText({ direction: 'inbound', outcome: 'answered', answered_to: '+18005555555', talk: 125 }, DEVICES).text).toBe('Answered on cell · 2:05');
    expect(callText({ direction: 'inbound', outcome: 'answered', answered_to: '+442071838750', talk: 5 }, DEVICES, '+18001234567').text).toBe('Answered at +44 20 7183 8750 · 0:05');
    // One of several numbers rang at once picked up; Twilio does not say which.
    expect(callText({ direction: 'inbound', outcome: 'answered', answered_to: '', talk: 5 }, DEVICES).text).toBe('Answered · 0:05');
    // Without the device list (status not loaded yet) a browser is still a browser.
    expect(callText({ direction: 'inbound', outcome: 'answered', answered_to: 'client:vbx', talk: null }).text).toBe('Answered in the browser');
  });

  it('never calls a call nobody picked up an incoming call with a duration', () => {
    expect(callText({ direction: 'inbound', outcome: 'missed', answered_to: null, talk: null })).toEqual({ text: 'Missed call', missed: true });
    expect(callText({ direction: 'inbound', outcome: 'voicemail' })).toEqual({ text: 'Missed call, went to voicemail', missed: true });
    expect(callText({ direction: 'inbound', outcome: 'busy' })).toEqual({ text: 'Missed call (busy)', missed: true });
    expect(callText({ direction: 'inbound', outcome: 'failed' })).toEqual({ text: 'Call failed to connect', missed: true });
    expect(callText({ direction: 'inbound', outcome: 'rejected' })).toEqual({ text: 'Blocked call', missed: false });
  });

  it('says how a call placed from vbx ended', () => {
    expect(callText({ direction: 'outbound', outcome: 'answered', answered_to: '+15551230000', talk: 61 }).text).toBe('Outgoing call · 1:01');
    expect(callText({ direction: 'outbound', outcome: 'no-answer' }).text).toBe('Outgoing call · no answer');
    expect(callText({ direction: 'outbound', outcome: 'busy' }).text).toBe('Outgoing call · busy');
    expect(callText({ direction: 'outbound', outcome: 'failed' }).text).toBe('Outgoing call · failed');
    expect(callText({ direction: 'outbound', outcome: 'canceled' }).text).toBe('Outgoing call · canceled');
    expect(callText({ direction: 'outbound', outcome: 'ringing' }).text).toBe('Calling…');
    expect(callText({ direction: 'inbound', outcome: 'ringing' }).text).toBe('Ringing…');
    expect(callText({ direction: 'outbound', outcome: 'in-progress' }).text).toBe('Outgoing call in progress');
  });
});

describe('answeredBy', () => {
  it('names a second browser device and an unknown number', () => {
    const devices = [...DEVICES, { name: 'desk', type: 'browser', address: 'client:desk' }];
    expect(answeredBy('client:desk', devices)).toBe('in the browser (desk)');
    expect(answeredBy('+15551230000', devices)).toBe('at (555) 123-0000');
    expect(answeredBy(null, devices)).toBe('');
  });
});

describe('callSummary', () => {
  it('says an answered call in a few words for a list row', () => {
    expect(callSummary('inbound', 'answered')).toBe('Answered call');
    expect(callSummary('inbound', 'missed')).toBe('Missed call');
    expect(callSummary('outbound', 'answered')).toBe('Outgoing call');
  });
});

describe('a call answered for no time at all', () => {
  it('still says it was answered, for 0:00', () => {
    expect(callText({ direction: 'inbound', outcome: 'answered', answered_to: 'client:vbx', talk: 0 }, DEVICES).text).toBe('Answered in the browser · 0:00');
  });
});

describe('callPath', () => {
  it('puts what a call went through on one line, and nothing for a call without a flow', () => {
    expect(callPath(['open', 'pressed 1 → sales', 'rang browser, cell', 'answered by cell'])).toBe('open · pressed 1 → sales · rang browser, cell · answered by cell');
    expect(callPath(['closed → after', ' ', 'voicemail'])).toBe('closed → after · voicemail');
    expect(callPath([])).toBeNull();
    expect(callPath(undefined)).toBeNull();
  });
});
