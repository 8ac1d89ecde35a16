// Opens BROWSERS headless Chromium browsers (one context each: its own login, socket, voice
// token and registration) on a running `vbx demo`, waits until every phone is registered and
// SETTLE seconds more, then counts the Twilio REST requests the simulator receives during
// PERIOD seconds. Prints one JSON object: the requests while the pages loaded and while idle,
// by endpoint. Usage: node bench/idle_rest.mjs APP USER PASSWORD SIM BROWSERS SETTLE PERIOD
import { createRequire } from 'node:module';
const require = createRequire(new URL('../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [app, user, password, sim, browsersArg, settleArg, periodArg] = process.argv.slice(2);
const browsers = Number(browsersArg);
const settle = Number(settleArg);
const period = Number(periodArg);
const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));

async function requests() {
  const res = await fetch(`${sim}/requests`);
  if (!res.ok) throw new Error(`GET ${sim}/requests: ${res.status}`);
  return res.json();
}

async function clearRequests() {
  const res = await fetch(`${sim}/requests`, { method: 'DELETE' });
  if (res.status !== 204) throw new Error(`DELETE ${sim}/requests: ${res.status}`);
}

const chromiumBrowser = await chromium.launch({
  executablePath: process.env.VBX_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
});
await clearRequests();
const loadStart = Date.now();
const pages = [];
for (let i = 0; i < browsers; i++) {
  const ctx = await chromiumBrowser.newContext({ baseURL: app });
  await ctx.grantPermissions(['microphone', 'notifications'], { origin: app });
  const login = await ctx.request.post('/api/login', { data: { name: user, password } });
  if (!login.ok()) throw new Error(`login failed: ${login.status()}`);
  const page = await ctx.newPage();
  await page.goto('/');
  await page.waitForFunction(() => window.vbx?.state?.voice?.status === 'registered', null, { timeout: 60_000 });
  pages.push(page);
}
await sleep(settle);
const loading = await requests();
const loadSeconds = (Date.now() - loadStart) / 1000;

await clearRequests();
const idleStart = Date.now();
await sleep(period);
const idle = await requests();
const idleSeconds = (Date.now() - idleStart) / 1000;
// Every page must still be a registered phone at the end, or the browsers were not "open".
for (const page of pages) {
  const status = await page.evaluate(() => window.vbx.state.voice.status);
  if (status !== 'registered') throw new Error(`a page's phone is ${status} at the end`);
}
await chromiumBrowser.close();
console.log(JSON.stringify({ browsers, loading, loadSeconds, idle, idleSeconds }));
