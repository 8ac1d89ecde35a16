// Splitting message text into plain text and links. The UI renders the pieces as text nodes and
// <a> elements, so user text is never parsed as HTML; only http(s) and tel links are produced.

export type Segment = { text: string } | { text: string; href: string };

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;
const PUNCT = '.,!?:;\'"’”>';
const PAIRS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

function count(s: string, ch: string): number {
  return s.split(ch).length - 1;
}

/** Drops trailing punctuation, keeping a closing bracket that closes one opened in the URL. */
function trimUrl(raw: string): string {
  let url = raw;
  for (;;) {
    const last = url[url.length - 1];
    if (last === undefined) return url;
    const open = PAIRS[last];
    if (PUNCT.includes(last) || (open !== undefined && count(url, open) < count(url, last))) {
      url = url.slice(0, -1);
    } else {
      return url;
    }
  }
}

/** Splits `text` into segments; adjacent plain text stays one segment. */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    const start = m.index ?? 0;
    const url = trimUrl(m[0]);
    if (url.length < 5 || /^www\.?$/i.test(url)) continue;
    const href = /^www\./i.test(url) ? `https://${url}` : url;
    if (!isSafeHref(href)) continue;
    if (start > last) out.push({ text: text.slice(last, start) });
    out.push({ text: url, href });
    last = start + url.length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return mergeText(out);
}

function mergeText(segments: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    const prev = out[out.length - 1];
    if (prev && !('href' in prev) && !('href' in s)) prev.text += s.text;
    else out.push({ ...s });
  }
  return out;
}

/** Only web links are ever made clickable. */
export function isSafeHref(href: string): boolean {
  try {
    const u = new URL(href);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.includes('.');
  } catch {
    return false;
  }
}
