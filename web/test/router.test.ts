import { describe, expect, it } from 'vitest';
import { parseRoute, routePath, section } from '../src/router';

describe('routes', () => {
  it('parses every app path', () => {
    expect(parseRoute('/')).toEqual({ name: 'inbox' });
    expect(parseRoute('/calls/')).toEqual({ name: 'calls' });
    expect(parseRoute('/voicemail')).toEqual({ name: 'voicemail' });
    expect(parseRoute('/contacts')).toEqual({ name: 'contacts' });
    expect(parseRoute('/settings')).toEqual({ name: 'settings' });
    expect(parseRoute('/phone', '?dial=%2B15551234567')).toEqual({ name: 'phone', dial: '+15551234567' });
    expect(parseRoute('/t/%2B15551234567')).toEqual({ name: 'thread', number: '+15551234567' });
    expect(parseRoute('/t/+15551234567')).toEqual({ name: 'thread', number: '+15551234567' });
    expect(parseRoute('/nope')).toEqual({ name: 'notfound', path: '/nope' });
  });
  it('keeps only a local next path after login', () => {
    expect(parseRoute('/login', '?next=%2Fcalls')).toEqual({ name: 'login', next: '/calls' });
    expect(parseRoute('/login', '?next=https://evil.example')).toEqual({ name: 'login' });
    expect(parseRoute('/login', '?next=//evil.example')).toEqual({ name: 'login' });
  });
  it('writes paths that parse back to the same route', () => {
    for (const r of [
      { name: 'inbox' as const },
      { name: 'thread' as const, number: '+15551234567' },
      { name: 'thread' as const, number: '+15551234567', find: 'SM0123456789abcdef0123456789abcdef' },
      { name: 'calls' as const },
      { name: 'voicemail' as const },
      { name: 'phone' as const, dial: '123' },
      { name: 'login' as const, next: '/t/%2B1' },
    ]) {
      const path = routePath(r);
      const i = path.indexOf('?');
      expect(parseRoute(i < 0 ? path : path.slice(0, i), i < 0 ? '' : path.slice(i))).toEqual(r);
    }
  });
  it('tells which section a route is in', () => {
    expect(section({ name: 'thread', number: '+1' })).toBe('messages');
    expect(section({ name: 'voicemail' })).toBe('voicemail');
    expect(section({ name: 'login' })).toBeNull();
  });
  it('treats a badly escaped number as not found instead of crashing', () => {
    expect(parseRoute('/t/%E0%A4%A')).toEqual({ name: 'notfound', path: '/t/%E0%A4%A' });
  });
});
