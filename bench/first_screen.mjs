// Logs in once, then loads `/` RUNS times in fresh pages and reports, per load, the time from
// navigation start to the first conversation row being visible (median printed last).
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
const login = await context.request.post(`${base}/api/login`, { data: { name: user, password } });
if (!login.ok()) throw new Error(`login failed: ${login.status()}`);
const times = [];
for (let i = 0; i < runs; i++) {
  const page = await context.newPage();
  await page.goto(`${base}/`, { waitUntil: 'commit' });
  await page.getByText('message 0', { exact: false }).first().waitFor({ timeout: 10_000 });
  const ms = await page.evaluate(() => performance.now());
  times.push(ms);
  console.log(`load ${i + 1}: first conversation row visible after ${ms.toFixed(0)} ms`);
  await page.close();
}
times.sort((a, b) => a - b);
console.log(`median over ${runs} loads: ${times[Math.floor(times.length / 2)].toFixed(0)} ms (10,000 conversations)`);
await browser.close();
