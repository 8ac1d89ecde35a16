// Sending texts and saving contacts as people do: one bubble per text from queued to delivered,
// nothing typed is lost, texts typed while vbx is unreachable go out when it is back, a failed
// text can be retried or deleted, and a number that is already a contact is not renamed silently.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { context, launch, logIn } from './browser';
import { eventually, SimControl } from './sim';

const demo = inject('demo');
const sim = new SimControl(demo.sim);
const PEER = '+15550106611';
const BROKEN = '+15550106622';
/** A contact of the demo's configuration. */
const BOB = { number: '+14155550101', name: 'Bob' };

let browser: Browser;
let ctx: BrowserContext;
let page: Page;

async function ourNumber(): Promise<string> {
  return page.evaluate(() => (window as unknown as { vbx: { state: { session: { number: string } } } }).vbx.state.session.number);
}

async function openThread(number: string): Promise<void> {
  await page.goto(`/t/${encodeURIComponent(number)}`);
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  await page.waitForFunction(() => (window as unknown as { vbx: { state: { live: { status: string } } } }).vbx.state.live.status === 'open');
}

beforeAll(async () => {
  browser = await launch();
  ctx = await context(browser, demo.url);
  page = await ctx.newPage();
  await logIn(page, demo);
});

afterAll(async () => {
  await browser?.close();
});

describe('sending', () => {
  it('shows a sent text once, from queued to delivered', async () => {
    await openThread(PEER);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Just once, please');
    await box.press('Enter');
    const bubbles = page.locator('.msg.out', { hasText: 'Just once, please' });
    const counts = new Set<number>();
    await eventually('the text delivered', async () => {
      counts.add(await bubbles.count());
      return (await bubbles.first().textContent())?.includes('Delivered');
    });
    counts.add(await bubbles.count());
    expect([...counts].filter((n) => n > 0)).toEqual([1]);
    expect(await box.inputValue()).toBe('');
    await page.reload();
    await bubbles.first().waitFor();
    expect(await bubbles.count()).toBe(1);
  });

  it('keeps what was typed when it cannot be sent, and counts characters and SMS parts', async () => {
    await openThread(PEER);
    const box = page.getByRole('textbox', { name: 'Message' });
    const long = 'x'.repeat(1700);
    await box.fill(long);
    const counter = page.getByTestId('sms-counter');
    await counter.getByText('1,700/1,600 · 12 SMSes').waitFor();
    expect(await counter.getAttribute('class')).toContain('over');
    await box.press('Enter');
    expect(await box.inputValue()).toBe(long);
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    await box.fill('Just once, please');
    await counter.getByText(/^17\/1,600 · 1 SMS$/).waitFor();
    await box.fill('Grüße 🙂');
    await counter.getByText(/^7\/1,600 · 1 SMS \(Unicode/).waitFor();
    await box.fill('');
  });

  it('sends a text typed while vbx is unreachable once it is back, visibly', async () => {
    await openThread(PEER);
    await ctx.setOffline(true);
    try {
      const box = page.getByRole('textbox', { name: 'Message' });
      await box.fill('Typed in a tunnel');
      await box.press('Enter');
      const bubble = page.locator('.msg.out', { hasText: 'Typed in a tunnel' });
      await bubble.getByText(/Waiting for vbx/).waitFor();
      expect(await box.inputValue()).toBe('');
      await ctx.setOffline(false);
      await bubble.getByText('Delivered').waitFor({ timeout: 60_000 });
      expect(await bubble.count()).toBe(1);
    } finally {
      await ctx.setOffline(false);
    }
    const reached = await eventually('the text at the simulator', async () => (await sim.messages()).find((m) => m.to === PEER && m.body === 'Typed in a tunnel'));
    expect(reached.status).toBe('delivered');
  });

  it('offers Retry and Delete for a text Twilio could not deliver', async () => {
    await fetch(`${demo.sim}/faults/destinations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ to: BROKEN, error_code: 30003 }) });
    await openThread(BROKEN);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Are you there?');
    await box.press('Enter');
    const failed = page.locator('.msg.out.failed', { hasText: 'Are you there?' });
    await failed.getByText(/Not delivered/).waitFor({ timeout: 60_000 });
    await fetch(`${demo.sim}/faults`, { method: 'DELETE' });
    await failed.getByRole('button', { name: 'Retry' }).click();
    await page.locator('.msg.out:not(.failed)', { hasText: 'Are you there?' }).getByText('Delivered').waitFor({ timeout: 60_000 });
    await failed.getByRole('button', { name: 'Delete' }).click();
    await failed.waitFor({ state: 'detached' });
    expect(await page.locator('.msg.out', { hasText: 'Are you there?' }).count()).toBe(1);
  });
});

describe('long threads', () => {
  const CHATTY = '+15550106633';

  it('loads older messages while scrolling up, keeping the place, and points to new ones', async () => {
    for (let n = 1; n <= 80; n += 1) await sim.textIn(CHATTY, await ourNumber(), `line ${n}`);
    await eventually('the 80 texts at vbx', async () => (await sim.messages()).filter((m) => m.from === CHATTY).length >= 80);
    await openThread(CHATTY);
    await page.locator('.bubble', { hasText: /^line 80$/ }).waitFor();
    const items = page.locator('.items');
    expect(await page.locator('.bubble', { hasText: /^line 1$/ }).count()).toBe(0);
    // Scroll to the top of what is loaded: older texts come in above, and the text that was at
    // the top stays where it was on screen.
    const firstShown = page.locator('.msg').first();
    const anchorText = (await firstShown.locator('.bubble').textContent()) ?? '';
    await items.evaluate((el) => {
      el.scrollTop = 0;
    });
    const anchor = page.locator('.msg', { has: page.locator('.bubble', { hasText: new RegExp(`^${anchorText}$`) }) });
    const before = (await anchor.boundingBox())?.y ?? 0;
    await page.locator('.bubble', { hasText: /^line 1$/ }).waitFor({ timeout: 30_000 });
    const after = (await anchor.boundingBox())?.y ?? 0;
    expect(Math.abs(after - before)).toBeLessThan(4);

    // Reading older texts when a new one comes: the view stays, a pill says so.
    const top = await items.evaluate((el) => el.scrollTop);
    await sim.textIn(CHATTY, await ourNumber(), 'line 81');
    const pill = page.getByRole('button', { name: /New messages/ });
    await pill.waitFor();
    expect(await items.evaluate((el) => el.scrollTop)).toBe(top);
    await pill.click();
    await pill.waitFor({ state: 'detached' });
    await page.locator('.bubble', { hasText: /^line 81$/ }).waitFor();
    expect(await items.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(80);
  });
});

describe('pictures', () => {
  it('offers only pictures MMS can carry, and says so about any other before sending', async () => {
    await openThread(PEER);
    const picker = page.locator('.composer input[type=file]');
    expect(await picker.getAttribute('accept')).toBe('image/jpeg,image/png,image/gif,image/webp');
    await picker.setInputFiles({ name: 'scan.bmp', mimeType: 'image/bmp', buffer: Buffer.from('BM not really a bitmap') });
    await page.locator('.composer').getByRole('alert').getByText(/Only JPEG, PNG, GIF and WebP/).waitFor();
    expect(await page.locator('.attachments figure').count()).toBe(0);
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000a49444154789c6300010000050001' + '0d0a2db40000000049454e44ae426082', 'hex');
    await picker.setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: png });
    await page.locator('.attachments figure').waitFor();
    await page.getByRole('button', { name: 'Remove dot.png' }).click();
  });
});

describe('contacts', () => {
  it('says a number already belongs to a contact instead of renaming it, and offers to', async () => {
    await page.goto('/contacts');
    const form = page.getByRole('form', { name: 'Add a contact' });
    await form.getByLabel('Name').fill('Robert');
    await form.getByLabel('Number').fill('(415) 555-0101');
    await form.getByRole('button', { name: 'Add' }).click();
    await form.getByRole('alert').getByText(`is already saved as ${BOB.name}.`, { exact: false }).waitFor();
    expect(await page.locator(`li[data-number="${BOB.number}"]`).textContent()).toContain(BOB.name);
    await form.getByRole('button', { name: `Rename ${BOB.name} to Robert` }).click();
    await page.locator(`li[data-number="${BOB.number}"]`, { hasText: 'Robert' }).waitFor();
    expect(await form.getByRole('alert').count()).toBe(0);
  });
});
