// Measures what a browser downloads (gzip) from dist/ and fails over the budget: the initial
// load (index.html, its scripts and styles) plus the lazily loaded Voice SDK chunk, which a
// real-Twilio session fetches right after start.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 150 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const gz = (p) => gzipSync(readFileSync(p), { level: 9 }).length;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const assets = readdirSync(join(dist, 'assets')).filter((f) => /\.(js|css)$/.test(f));
const voice = assets.filter((f) => f.startsWith('twilio-')).map((f) => `assets/${f}`);
const rows = [['index.html', gz(join(dist, 'index.html'))]];
for (const f of [...initial, ...voice]) rows.push([f, gz(join(dist, f))]);
const total = rows.reduce((n, [, s]) => n + s, 0);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const [f, s] of rows) console.log(`${kb(s).padStart(9)}  ${f}${voice.includes(f) ? '  (Voice SDK, lazy)' : ''}`);
console.log(`${kb(total).padStart(9)}  total gzip (budget ${kb(BUDGET)})`);
if (voice.length === 0) {
  console.error('No twilio-*.js chunk found: the Voice SDK must be bundled as its own chunk.');
  process.exit(1);
}
if (total > BUDGET) {
  console.error(`Over budget by ${kb(total - BUDGET)}.`);
  process.exit(1);
}
