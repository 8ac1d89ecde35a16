// Every screen at phone width (320 and 390 px), light and dark, with content that is hard to
// fit: a long text, a word of 200 letters, a long URL, long digits, emoji and right-to-left
// text. Nothing may scroll sideways.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { context, launch, logIn, screenshot } from './browser';
import { eventually, SimControl } from './sim';

const demo = inject('demo');
const sim = new SimControl(demo.sim);
const LONG_SENDER = '+15550109991';
const WORDY_SENDER = '+15550109992';
const RLO_SENDER = '+15550109993';

let browser: Browser;
let ours: string;

/** What scrolls sideways on the page: the document, or any scrolling box inside it. */
async function sideways(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const wide: string[] = [];
    const doc = document.scrollingElement ?? document.documentElement;
    if (doc.scrollWidth > window.innerWidth + 1) wide.push(`document ${doc.scrollWidth} > ${window.innerWidth}`);
    for (const el of document.querySelectorAll<HTMLElement>('*')) {
      const style = getComputedStyle(el);
      const scrolls = ['auto', 'scroll'].includes(style.overflowX);
      if (scrolls && el.scrollWidth > el.clientWidth + 1) wide.push(`${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth} > ${el.clientWidth}`);
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > window.innerWidth + 1 && style.position !== 'fixed' && !el.closest('.ellipsis')) {
        wide.push(`${el.tagName.toLowerCase()}.${el.className} ends at ${Math.round(r.right)}`);
      }
    }
    return wide.slice(0, 10);
  });
}

beforeAll(async () => {
  browser = await launch();
  const ctx = await context(browser, demo.url);
  const p = await ctx.newPage();
  await logIn(p, demo);
  ours = await p.evaluate(() => (window as unknown as { vbx: { state: { session: { number: string } } } }).vbx.state.session.number);
  await ctx.close();
  await sim.textIn(LONG_SENDER, ours, 'This is an ordinary text of about one hundred and twenty characters, as people send them every day, nothing special.');
  await sim.textIn(WORDY_SENDER, ours, `${'a'.repeat(200)} https://example.com/${'path/'.repeat(30)}?q=${'9'.repeat(60)} 🙂🙂🙂 مرحبا بالعالم ${'1234567890'.repeat(6)}`);
  await sim.textIn(RLO_SENDER, ours, '\u202Egnp.exe');
  await eventually('the texts at vbx', async () => (await sim.messages()).filter((m) => [LONG_SENDER, WORDY_SENDER, RLO_SENDER].includes(m.from)).length >= 3);
});

afterAll(async () => {
  await browser?.close();
});

describe('loading', () => {
  it('asks for the conversation list once when the app starts', async () => {
    const ctx = await context(browser, demo.url);
    const p = await ctx.newPage();
    const asked: string[] = [];
    p.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/conversations') asked.push(r.url());
    });
    await logIn(p, demo);
    await p.getByText('ordinary text', { exact: false }).first().waitFor();
    await p.reload();
    await p.getByText('ordinary text', { exact: false }).first().waitFor();
    await p.waitForFunction(() => (window as unknown as { vbx: { state: { live: { status: string } } } }).vbx.state.live.status === 'open');
    expect(asked).toHaveLength(2);
    await ctx.close();
  });
});

describe('text from strangers', () => {
  it('isolates a right-to-left override in a preview and a bubble from the text around it', async () => {
    const ctx = await context(browser, demo.url);
    const p = await ctx.newPage();
    await logIn(p, demo);
    const row = p.locator('.row', { hasText: 'gnp.exe' }).first();
    await row.waitFor();
    expect(await row.locator('.preview').evaluate((el) => getComputedStyle(el).unicodeBidi)).toBe('isolate');
    expect(await row.locator('.name').evaluate((el) => getComputedStyle(el).unicodeBidi)).toBe('isolate');
    await p.goto(`/t/${encodeURIComponent(RLO_SENDER)}`);
    const bubble = p.locator('.bubble', { hasText: 'gnp.exe' });
    await bubble.waitFor();
    expect(await bubble.evaluate((el) => getComputedStyle(el).unicodeBidi)).toBe('isolate');
    expect(await p.locator('#thread-title').evaluate((el) => getComputedStyle(el).unicodeBidi)).toBe('isolate');
    await ctx.close();
  });
});

describe('phone width', () => {
  for (const width of [320, 390]) {
    for (const dark of [false, true]) {
      it(`nothing scrolls sideways at ${width} px${dark ? ', dark' : ''}`, async () => {
        const ctx = await context(browser, demo.url, { viewport: { width, height: 844 }, dark });
        const p = await ctx.newPage();
        await logIn(p, demo);
        const screens = ['/', `/t/${encodeURIComponent(WORDY_SENDER)}`, `/t/${encodeURIComponent(LONG_SENDER)}`, '/contacts', '/calls', '/voicemail', '/phone', '/settings'];
        for (const path of screens) {
          await p.goto(path);
          await p.getByRole('navigation', { name: 'Main' }).waitFor();
          if (path === '/') await p.getByText('ordinary text', { exact: false }).first().waitFor();
          if (path.startsWith('/t/')) await p.locator('.msg').first().waitFor();
          expect(await sideways(p), `${path} at ${width} px`).toEqual([]);
          if (path === '/' || path.startsWith(`/t/${encodeURIComponent(WORDY_SENDER)}`)) {
            await screenshot(p, `layout-${width}${dark ? '-dark' : ''}-${path === '/' ? 'inbox' : 'thread'}`);
          }
        }
        // The navigation and the new-message button stay on screen.
        for (const name of ['Messages', 'Calls', 'Voicemail', 'Contacts', 'Phone', 'Settings']) {
          const box = await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: new RegExp(`^${name}`) }).boundingBox();
          expect(box && box.x + box.width <= width, name).toBe(true);
        }
        await ctx.close();
      });
    }
  }
});
