// Logs in once, then loads `/` RUNS times in fresh pages and reports, per load, when the first
// conversation row ("message 0", the newest) appeared, in ms from navigation start:
// - `painted`: the page's own clock at the first animation frame after the row entered the DOM
//   (a MutationObserver installed before the app's script runs watches for it): what the user
//   sees. The medians of this are the result.
// - `seen`: when Playwright's visibility wait returned (its polling adds tens of ms).
// Each load also lists the document, scripts, style sheets and API requests (start–end), to see
// what the first screen waits for. Medians printed last. BENCH_TRACE=FILE also writes a Chrome
// performance trace of the last load.
import { createRequire } from 'node:module';
const require = createRequire(new URL('../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [base, user, password, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const context = await browser.newContext();
await context.addInitScript(() => {
  const look = () => {
    if (window.__firstRow || !document.body || !document.body.textContent.includes('message 0')) return;
    window.__firstRow = performance.now();
    requestAnimationFrame(() => {
      window.__firstRowPainted = performance.now();
    });
  };
  new MutationObserver(look).observe(document, { childList: true, subtree: true, characterData: true });
});
const login = await context.request.post(`${base}/api/login`, { data: { name: user, password } });
if (!login.ok()) throw new Error(`login failed: ${login.status()}`);
const painted = [];
const seen = [];
for (let i = 0; i < runs; i++) {
  const page = await context.newPage();
  // BENCH_TRACE=FILE: a Chrome performance trace of the last load (open it in DevTools).
  const trace = process.env.BENCH_TRACE && i === runs - 1;
  if (trace) {
    // With the JavaScript sampling profiler, so the trace says which functions ran.
    const categories = ['devtools.timeline', 'v8.execute', 'disabled-by-default-devtools.timeline',
      'disabled-by-default-v8.cpu_profiler', 'blink.user_timing', 'loading'];
    await browser.startTracing(page, { path: process.env.BENCH_TRACE, screenshots: false, categories });
  }
  await page.goto(`${base}/`, { waitUntil: 'commit' });
  await page.getByText('message 0', { exact: false }).first().waitFor({ timeout: 10_000 });
  const seenMs = await page.evaluate(() => performance.now());
  await page.waitForFunction(() => window.__firstRowPainted !== undefined, null, { timeout: 10_000 });
  const report = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const parts = [`document ${nav.responseEnd.toFixed(0)}`];
    for (const r of performance.getEntriesByType('resource')) {
      if (r.startTime > window.__firstRow) continue;
      const name = new URL(r.name).pathname.replace(/^\/assets\//, '');
      parts.push(`${name} ${r.startTime.toFixed(0)}–${r.responseEnd.toFixed(0)}`);
    }
    return { dom: window.__firstRow, painted: window.__firstRowPainted, steps: parts.join(', ') };
  });
  if (trace) await browser.stopTracing();
  painted.push(report.painted);
  seen.push(seenMs);
  console.log(
    `load ${i + 1}: first conversation row painted at ${report.painted.toFixed(0)} ms ` +
      `(in the DOM at ${report.dom.toFixed(0)}; seen by Playwright at ${seenMs.toFixed(0)}) — ${report.steps}`,
  );
  await page.close();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `median over ${runs} loads: painted ${median(painted).toFixed(0)} ms, seen by Playwright ` +
    `${median(seen).toFixed(0)} ms (10,000 conversations)`,
);
await browser.close();
