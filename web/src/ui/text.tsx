// Message text with clickable links. Text is rendered as text nodes (escaped by Preact); links
// only for http(s) URLs, opened in a new tab without access to this one.

import { linkify } from '../linkify';

export function LinkedText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((s, i) =>
        'href' in s ? (
          <a key={i} href={s.href} target="_blank" rel="noopener noreferrer nofollow">
            {s.text}
          </a>
        ) : (
          s.text
        ),
      )}
    </>
  );
}

/** Initials for an avatar: the first letters of the name's first two words, or a # for a number. */
export function initials(name: string | null): string {
  if (!name) return '#';
  const words = name.trim().split(/\s+/).map((w) => w.match(/[\p{L}\p{N}]/u)?.[0] ?? '').filter(Boolean);
  const letters = words.slice(0, 2);
  return letters.join('').toUpperCase() || '#';
}
