import { describe, expect, it } from 'vitest';
import { isSafeHref, linkify } from '../src/linkify';

describe('linkify', () => {
  it('returns plain text as one segment', () => {
    expect(linkify('hello there')).toEqual([{ text: 'hello there' }]);
  });
  it('links http and https URLs and keeps the text around them', () => {
    expect(linkify('see https://example.com/a?b=1 now')).toEqual([
      { text: 'see ' },
      { text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { text: ' now' },
    ]);
  });
  it('links www. addresses over https', () => {
    expect(linkify('www.example.org')).toEqual([{ text: 'www.example.org', href: 'https://www.example.org' }]);
  });
  it('leaves sentence punctuation out of the link', () => {
    expect(linkify('Go to https://example.com/x.')).toEqual([
      { text: 'Go to ' },
      { text: 'https://example.com/x', href: 'https://example.com/x' },
      { text: '.' },
    ]);
    expect(linkify('(https://example.com)')[1]).toEqual({ text: 'https://example.com', href: 'https://example.com' });
  });
  it('keeps a closing bracket that belongs to the URL', () => {
    const url = 'https://en.wikipedia.org/wiki/Mercury_(planet)';
    expect(linkify(`${url}, nice`)[0]).toEqual({ text: url, href: url });
  });
  it('never links other schemes', () => {
    expect(linkify('javascript:alert(1) data:text/html,<b>x</b> ftp://a.b/c')).toEqual([
      { text: 'javascript:alert(1) data:text/html,<b>x</b> ftp://a.b/c' },
    ]);
  });
  it('does not treat markup as anything but text', () => {
    expect(linkify('<img src=x onerror=alert(1)>')).toEqual([{ text: '<img src=x onerror=alert(1)>' }]);
  });
  it('stops a URL at quotes and angle brackets', () => {
    expect(linkify('<a href="https://evil.example/">x</a>')).toEqual([
      { text: '<a href="' },
      { text: 'https://evil.example/', href: 'https://evil.example/' },
      { text: '">x</a>' },
    ]);
  });
  it('finds several links', () => {
    const segs = linkify('a http://one.example b https://two.example');
    expect(segs.filter((s) => 'href' in s).map((s) => s.text)).toEqual(['http://one.example', 'https://two.example']);
  });
});

describe('isSafeHref', () => {
  it('accepts web URLs with a dotted host only', () => {
    expect(isSafeHref('https://example.com')).toBe(true);
    expect(isSafeHref('http://localhost')).toBe(false);
    expect(isSafeHref('javascript:alert(1)')).toBe(false);
    expect(isSafeHref('not a url')).toBe(false);
  });
});
