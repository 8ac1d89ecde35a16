// What people do with whole conversations, at desktop and phone width: archive one (it comes
// back when something new arrives), mark one unread, mark everything read, and block a number
// (its calls are rejected and its texts notify nobody) and unblock it again.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { context, DESKTOP, launch, logIn, PHONE } from './browser';
import { eventually, SimControl } from './sim';

const demo = inject('demo');
const sim = new SimControl(demo.sim);

let browser: Browser;

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

type Win = { vbx: { state: { session: { number: string }; live: { status: string } } } };

async function ourNumber(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as Win).vbx.state.session.number);
}

function row(page: Page, number: string) {
  return page.getByRole('region', { name: 'Conversations' }).locator(`a[href="/t/${encodeURIComponent(number)}"]`);
}

async function openThread(page: Page, number: string): Promise<void> {
  await page.goto(`/t/${encodeURIComponent(number)}`);
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  await page.waitForFunction(() => (window as unknown as Win).vbx.state.live.status === 'open');
}

async function menu(page: Page, item: string): Promise<void> {
  await page.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

async function inbox(page: Page): Promise<void> {
  await page.goto('/');
  await page.getByRole('region', { name: 'Conversations' }).waitFor();
  await page.waitForFunction(() => (window as unknown as Win).vbx.state.live.status === 'open');
}

for (const [width, viewport, base] of [
  ['desktop', DESKTOP, 6100],
  ['phone', PHONE, 6200],
] as const) {
  describe(`conversations at ${width} width`, () => {
    let page: Page;
    const A = `+1555010${base + 1}`;
    const B = `+1555010${base + 2}`;
    const C = `+1555010${base + 3}`;
    let ours = '';

    beforeAll(async () => {
      const ctx = await context(browser, demo.url, { viewport });
      page = await ctx.newPage();
      page.on('dialog', (d) => void d.accept());
      await logIn(page, demo);
      ours = await ourNumber(page);
    });

    it('archives a conversation, which comes back when something new arrives', async () => {
      await sim.textIn(A, ours, 'Old news from A');
      await sim.textIn(B, ours, 'Hello from B');
      await openThread(page, A);
      await menu(page, 'Archive');
      await page.getByText(/Conversation archived/).waitFor();
      await eventually('A out of the inbox', async () => (await row(page, A).count()) === 0 && (await row(page, B).count()) === 1);
      await page.getByRole('button', { name: 'Archived' }).click();
      await row(page, A).waitFor();
      expect(await row(page, B).count()).toBe(0);
      await sim.textIn(A, ours, 'Something new from A');
      await row(page, A).waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Inbox' }).click();
      await row(page, A).getByText('Something new from A').waitFor();
      // The same after a reload: the server agrees.
      await inbox(page);
      await row(page, A).waitFor();
    });

    it('marks a conversation unread, and all of them read', async () => {
      await openThread(page, A);
      await menu(page, 'Mark unread');
      await page.getByRole('region', { name: 'Conversations' }).waitFor();
      await row(page, A).getByLabel('1 unread').waitFor();
      await inbox(page);
      await row(page, A).getByLabel('1 unread').waitFor();
      await sim.textIn(C, ours, 'Unread from C');
      await row(page, C).getByLabel('1 unread').waitFor();
      await page.getByRole('button', { name: 'Mark all read' }).click();
      await eventually('no unread badge left', async () => (await page.getByRole('region', { name: 'Conversations' }).getByLabel(/unread$/).count()) === 0);
      await inbox(page);
      expect(await page.getByRole('region', { name: 'Conversations' }).getByLabel(/unread$/).count()).toBe(0);
    });

    it('finds a word said long ago, marks it, and opens the thread at that text', async () => {
      const D = `+1555010${base + 4}`;
      const word = `zebra${base}`;
      await sim.textIn(D, ours, `The quarterly ${word} report is late`);
      for (let i = 0; i < 60; i++) await sim.textIn(D, ours, `Filler ${i}`);
      await inbox(page);
      await page.getByRole('searchbox', { name: 'Search conversations' }).fill(word.slice(0, -2));
      const hits = page.getByRole('list', { name: 'Messages' });
      const hit = hits.getByRole('link').first();
      await hit.waitFor();
      expect(await hits.getByRole('link').count()).toBe(1);
      expect(await hit.locator('mark').first().textContent()).toBe(word);
      await hit.click();
      const found = page.locator('.msg[aria-current="true"]');
      await found.waitFor({ timeout: 15_000 });
      expect(await found.textContent()).toContain(`The quarterly ${word} report is late`);
      await eventually('the text in view', () => found.isVisible().then((v) => v && found.evaluate((el) => {
        const box = el.getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight;
      })));
    });

    it('blocks a number: its call is rejected, its text notifies nobody, and it can be unblocked', async () => {
      await openThread(page, B);
      await menu(page, 'Block number');
      await page.getByText(/Blocked: calls from this number are rejected/).waitFor();
      await sim.textIn(B, ours, 'Buy my stuff');
      const call = await sim.callIn(B, ours);
      await eventually('the call rejected', async () => (await sim.call(call)).call.status === 'busy');
      expect(await page.getByRole('alertdialog', { name: /Incoming call from/ }).count()).toBe(0);
      await inbox(page);
      await row(page, A).waitFor();
      expect(await row(page, B).count()).toBe(0);
      await openThread(page, B);
      const text = page.locator('.msg.in', { hasText: 'Buy my stuff' });
      await text.waitFor();
      expect(await text.textContent()).toContain('Blocked');
      await page.getByRole('log').getByText('Blocked call').waitFor();

      await page.goto('/settings');
      const list = page.getByRole('list', { name: 'Blocked numbers' });
      await list.getByRole('listitem').first().waitFor();
      expect(await list.getByRole('listitem').count()).toBe(1);
      await list.getByRole('button', { name: 'Unblock' }).click();
      await page.getByText('No number is blocked.').waitFor();
      await inbox(page);
      await row(page, B).waitFor();
    });
  });
}

describe('voicemail', () => {
  const CALLER = '+15550106301';
  const CELL = '+18005555555';
  let page: Page;

  afterAll(async () => {
    await sim.party(CELL, 'answer', 30);
  });

  it('counts a new voicemail in the navigation until its thread is read', async () => {
    const ctx = await context(browser, demo.url);
    page = await ctx.newPage();
    await logIn(page, demo);
    const ours = await ourNumber(page);
    await page.getByRole('link', { name: 'Voicemail', exact: true }).waitFor();
    // Nobody answers: the browser rejects the call and the cell is busy, so the demo's flow
    // ends in its voicemail.
    await sim.party(CELL, 'busy');
    await sim.callIn(CALLER, ours);
    const ringing = page.getByRole('alertdialog', { name: /Incoming call from/ });
    await ringing.getByRole('button', { name: 'Reject' }).click({ timeout: 30_000 });
    await page.getByRole('link', { name: 'Voicemail, 1 new' }).waitFor({ timeout: 60_000 });
    await openThread(page, CALLER);
    await page.locator('.voicemail').first().waitFor();
    await page.getByRole('link', { name: 'Voicemail', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('link', { name: 'Voicemail', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: /^Voicemail, \d+ new$/ }).count()).toBe(0);
  });
});
