import { describe, expect, it } from 'vitest';
import { titleFor } from '../src/notify';

describe('titleFor', () => {
  it('is the plain name when nothing waits', () => {
    expect(titleFor('vbx', { badge: 0, ringing: null })).toBe('vbx');
  });
  it('counts what waits and caps the count', () => {
    expect(titleFor('vbx', { badge: 3, ringing: null })).toBe('(3) vbx');
    expect(titleFor('vbx', { badge: 250, ringing: null })).toBe('(99+) vbx');
  });
  it('puts a ringing caller first', () => {
    expect(titleFor('vbx', { badge: 1, ringing: 'Alice' })).toBe('Call from Alice (1) vbx');
  });
});
