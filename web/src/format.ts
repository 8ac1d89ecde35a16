// Formatting of times, durations and phone numbers for display, and lenient parsing of what
// people type as a phone number.

import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

export interface Clock {
  locale?: string;
  timeZone?: string;
}

// Making an Intl.DateTimeFormat costs far more than using one: a list of 50 rows made up to
// five each and spent over half of its first render doing so. One per locale, zone and options.
const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let made = FORMATTERS.get(key);
  if (!made) {
    made = new Intl.DateTimeFormat(locale, options);
    FORMATTERS.set(key, made);
  }
  return made;
}

function dayKey(at: number, clock: Clock): string {
  return formatter('en-CA', {
    timeZone: clock.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

const DAY = 86_400_000;

/**
 * The day of `at` as a list shows it: null for today, "Yesterday", the weekday within the last
 * week, else the date (with the year only when it is not this year).
 */
function relativeDay(at: number, now: number, clock: Clock): string | null {
  const { locale, timeZone } = clock;
  const today = dayKey(now, clock);
  const key = dayKey(at, clock);
  if (key === today) return null;
  if (key === dayKey(now - DAY, clock)) return 'Yesterday';
  if (at < now && now - at < 6 * DAY) {
    return formatter(locale, { timeZone, weekday: 'short' }).format(at);
  }
  const sameYear = key.slice(0, 4) === today.slice(0, 4);
  return formatter(locale, {
    timeZone,
    month: 'short',
    day: 'numeric',
    year: sameYear ? undefined : 'numeric',
  }).format(at);
}

/** When something happened, for the conversation list: the time today, else the day. */
export function formatWhen(at: number, now: number, clock: Clock = {}): string {
  return relativeDay(at, now, clock) ?? formatClock(at, clock);
}

/** When something happened, for the call log: the time, and the day unless it is today. */
export function formatEventTime(at: number, now: number, clock: Clock = {}): string {
  const day = relativeDay(at, now, clock);
  const time = formatClock(at, clock);
  return day === null ? time : `${day}, ${time}`;
}

/** A full date and time, for tooltips and the call log. */
export function formatFull(at: number, clock: Clock = {}): string {
  return formatter(clock.locale, {
    timeZone: clock.timeZone,
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(at);
}

/** The clock time only, for bubbles. */
export function formatClock(at: number, clock: Clock = {}): string {
  return formatter(clock.locale, {
    timeZone: clock.timeZone,
    hour: 'numeric',
    minute: '2-digit',
  }).format(at);
}

/** Seconds as m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/**
 * An E.164 number for people: North American numbers as (555) 123-4567 when the user's own
 * number is North American too, otherwise with the country code and groups of digits.
 */
export function formatNumber(e164: string, own = '+1'): string {
  if (!/^\+\d{6,15}$/.test(e164)) return e164;
  const number = parsePhoneNumberFromString(e164);
  if (!number) return e164;
  // Numbers of the vbx number's country read as people there write them; others in full.
  return own.startsWith(`+${number.countryCallingCode}`) ? number.formatNational() : number.formatInternational();
}

const KEYPAD: Record<string, string> = {
  a: '2', b: '2', c: '2', d: '3', e: '3', f: '3', g: '4', h: '4', i: '4', j: '5', k: '5', l: '5',
  m: '6', n: '6', o: '6', p: '7', q: '7', r: '7', s: '7', t: '8', u: '8', v: '8', w: '9', x: '9',
  y: '9', z: '9',
};

/**
 * What people type as a phone number, to E.164, or null when it is not one. Accepts spaces,
 * dots, dashes, parentheses, a leading `00` or `+`, and letters of a vanity number when the rest
 * looks like a number (1-800-FLOWERS). A number without a country code takes the one of `own`
 * (the vbx number), and North American ten-digit numbers get +1.
 */
export function parseNumber(input: string, own = '+1'): string | null {
  let s = input.trim();
  if (s === '') return null;
  if (/^(tel:)/i.test(s)) s = s.slice(4);
  // Anything but separators, digits, a leading plus and (vanity) letters means it is not a number.
  if (!/^\+?[\d\s().\-/a-zA-Z]+$/.test(s)) return null;
  const letters = (s.match(/[a-zA-Z]/g) ?? []).length;
  const digitCount = (s.match(/\d/g) ?? []).length;
  if (letters > 0 && (digitCount < 3 || letters > 7)) return null;
  const plus = s.startsWith('+');
  let digits = s.replace(/[a-zA-Z]/g, (c) => KEYPAD[c.toLowerCase()] ?? '').replace(/\D/g, '');
  if (plus) return valid(digits);
  if (digits.startsWith('00')) return valid(digits.slice(2));
  const ownNanp = own.startsWith('+1');
  if (ownNanp) {
    if (digits.length === 10 && /^[2-9]/.test(digits)) return `+1${digits}`;
    if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
    return null;
  }
  // Elsewhere a national number usually starts with a trunk 0 that the E.164 form drops.
  const cc = parsePhoneNumberFromString(own)?.countryCallingCode;
  if (!cc) return null;
  if (digits.startsWith('0')) digits = digits.slice(1);
  return valid(cc + digits);
}

function valid(digits: string): string | null {
  return /^[1-9]\d{6,14}$/.test(digits) ? `+${digits}` : null;
}

/** Digits (and * #) as they are shown while dialling. */
export function dialString(input: string): string {
  return input.replace(/[^\d*#+]/g, '');
}

/** Bidi embedding, override and isolate controls: invisible, and never needed in a name. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/**
 * The name to show for a number: the contact's name or the formatted number. A name loses its
 * bidi controls, so "\u202Egnp.exe" cannot pass for "exe.png".
 */
export function displayName(number: string, name: string | null | undefined, own?: string): string {
  const shown = name?.replace(BIDI_CONTROLS, '').trim();
  return shown ? shown : formatNumber(number, own);
}
