import { describe, expect, it, vi } from 'vitest';
import { dialString, displayName, formatDuration, formatEventTime, formatNumber, formatWhen, parseNumber } from '../src/format';

const clock = { locale: 'en-US', timeZone: 'UTC' };
const NOW = Date.UTC(2025, 5, 18, 15, 30); // Wednesday 18 June 2025, 15:30 UTC

describe('formatWhen', () => {
  it('shows the clock time for something earlier today', () => {
    expect(formatWhen(Date.UTC(2025, 5, 18, 9, 5), NOW, clock)).toBe('9:05 AM');
  });
  it('says Yesterday for the day before, even less than 24 hours ago', () => {
    expect(formatWhen(Date.UTC(2025, 5, 17, 23, 59), NOW, clock)).toBe('Yesterday');
  });
  it('shows the weekday within the last week', () => {
    expect(formatWhen(Date.UTC(2025, 5, 14, 12, 0), NOW, clock)).toBe('Sat');
  });
  it('shows month and day earlier this year, and the year for older items', () => {
    expect(formatWhen(Date.UTC(2025, 0, 3, 12, 0), NOW, clock)).toBe('Jan 3');
    expect(formatWhen(Date.UTC(2023, 10, 30, 12, 0), NOW, clock)).toBe('Nov 30, 2023');
  });
  it('uses the given time zone to decide what today is', () => {
    // 01:00 UTC on the 19th is still the 18th in New York.
    const now = Date.UTC(2025, 5, 19, 1, 0);
    expect(formatWhen(Date.UTC(2025, 5, 18, 20, 0), now, { locale: 'en-US', timeZone: 'America/New_York' })).toBe('4:00 PM');
    expect(formatWhen(Date.UTC(2025, 5, 18, 20, 0), now, clock)).toBe('Yesterday');
  });
});

describe('formatEventTime', () => {
  it('gives a call of today its time only, and older calls their day too, with the year only from other years', () => {
    expect(formatEventTime(Date.UTC(2025, 5, 18, 9, 5), NOW, clock)).toBe('9:05 AM');
    expect(formatEventTime(Date.UTC(2025, 5, 17, 23, 59), NOW, clock)).toBe('Yesterday, 11:59 PM');
    expect(formatEventTime(Date.UTC(2025, 5, 14, 12, 0), NOW, clock)).toBe('Sat, 12:00 PM');
    expect(formatEventTime(Date.UTC(2025, 0, 3, 12, 0), NOW, clock)).toBe('Jan 3, 12:00 PM');
    expect(formatEventTime(Date.UTC(2023, 10, 30, 12, 0), NOW, clock)).toBe('Nov 30, 2023, 12:00 PM');
  });
});

describe('formatDuration', () => {
  it('writes seconds as m:ss and hours as h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(62.9)).toBe('1:02');
    expect(formatDuration(3723)).toBe('1:02:03');
  });
  it('treats negative durations as zero', () => {
    expect(formatDuration(-4)).toBe('0:00');
  });
});

describe('formatNumber', () => {
  it('writes North American numbers the local way for a North American user', () => {
    expect(formatNumber('+15551234567')).toBe('(555) 123-4567');
  });
  it('keeps the country code for a user elsewhere', () => {
    expect(formatNumber('+15551234567', '+442071234567')).toBe('+1 555 123 4567');
  });
  it('groups other numbers as their country does, after its code', () => {
    expect(formatNumber('+442079460958')).toBe('+44 20 7946 0958');
    expect(formatNumber('+447700900123')).toBe('+44 7700 900123');
    expect(formatNumber('+33142685300')).toBe('+33 1 42 68 53 00');
    expect(formatNumber('+3545551234')).toBe('+354 555 1234');
  });
  it('writes numbers of the user’s own country the national way', () => {
    expect(formatNumber('+442079460958', '+447700900123')).toBe('020 7946 0958');
    expect(formatNumber('+33142685300', '+33612345678')).toBe('01 42 68 53 00');
  });
  it('leaves what is not E.164 alone', () => {
    expect(formatNumber('client:vbx')).toBe('client:vbx');
    expect(formatNumber('Anonymous')).toBe('Anonymous');
  });
});

describe('parseNumber', () => {
  it('accepts a ten-digit North American number written any usual way', () => {
    for (const s of ['5551234567', '(555) 123-4567', '555.123.4567', ' 555 123 4567 ', '1-555-123-4567', '+1 (555) 123-4567', 'tel:+15551234567']) {
      expect(parseNumber(s), s).toBe('+15551234567');
    }
  });
  it('accepts international numbers with a plus or 00', () => {
    expect(parseNumber('+44 20 7946 0958')).toBe('+442079460958');
    expect(parseNumber('0044 20 7946 0958')).toBe('+442079460958');
  });
  it('drops the trunk zero of a national number for a user outside North America', () => {
    expect(parseNumber('020 7946 0958', '+442071234567')).toBe('+442079460958');
  });
  it('spells out vanity numbers', () => {
    expect(parseNumber('1-800-FLOWERS')).toBe('+18003569377');
  });
  it('refuses names, short codes and garbage', () => {
    for (const s of ['', 'Alice', 'alice smith', '12345', '555-1234', '+1', '5551234567; drop', 'https://x.com', '+0123456789']) {
      expect(parseNumber(s), s).toBeNull();
    }
  });
  it('refuses a North American number starting with 0 or 1 after the country code', () => {
    expect(parseNumber('0551234567')).toBeNull();
  });
});

describe('small helpers', () => {
  it('keeps only dialable characters', () => {
    expect(dialString('(555) 12*3-#4')).toBe('55512*3#4');
  });
  it('prefers a contact name, else the formatted number', () => {
    expect(displayName('+15551234567', 'Alice')).toBe('Alice');
    expect(displayName('+15551234567', '  ')).toBe('(555) 123-4567');
    expect(displayName('+15551234567', null)).toBe('(555) 123-4567');
  });
  it('drops bidi controls from a name, so an override cannot disguise it', () => {
    expect(displayName('+15551234567', '\u202Egnp.exe')).toBe('gnp.exe');
    expect(displayName('+15551234567', 'A\u2066b\u2069\u202Dc\u202C')).toBe('Abc');
    expect(displayName('+15551234567', '\u202E')).toBe('(555) 123-4567');
    // Right-to-left names themselves are kept as they are.
    expect(displayName('+15551234567', 'שלום')).toBe('שלום');
  });
});

describe('formatters', () => {
  it('are made once per locale, zone and options, not once per row', () => {
    const made = vi.spyOn(Intl, 'DateTimeFormat');
    const now = Date.UTC(2026, 11, 7, 15, 0);
    const clock = { locale: 'en-US', timeZone: 'Europe/Oslo' };
    // A list of 200 rows over two years, twice (a second render).
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < 200; i++) {
        const at = now - i * 3.7 * 3_600_000 * 24;
        formatWhen(at, now, clock);
        formatEventTime(at, now, clock);
      }
    }
    // The day key, the weekday, the date with and without the year, and the clock time.
    expect(made.mock.calls.length).toBeLessThanOrEqual(5);
    made.mockRestore();
  });
});
