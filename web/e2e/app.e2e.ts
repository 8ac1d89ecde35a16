// The browser app end to end: real headless Chromium, real vbx, the simulator playing Twilio and
// the people on the other end. Screenshots of the main screens go to e2e/artifacts/.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { context, DESKTOP, launch, logIn, notifications, PHONE, recordNotifications, screenshot, setAway } from './browser';
import { eventually, SimControl } from './sim';

const demo = inject('demo');
const sim = new SimControl(demo.sim);

// People on the other end (E.164 numbers in the simulator's fictional range).
const FRIEND = '+15550104477';
const CALLER = '+15550108899';
const DIALED = '+15550107733';
/** The demo's `cell` device, which its `phone` flow dials when the browser does not answer. */
const CELL = '+18005555555';

let browser: Browser;
let ctx: BrowserContext;
let page: Page;
let ourNumber: string;

async function phoneReady(p: Page): Promise<void> {
  await p.waitForFunction(() => (window as unknown as { vbx: { state: { voice: { status: string } } } }).vbx.state.voice.status === 'registered', null, { timeout: 30_000 });
}

beforeAll(async () => {
  browser = await launch();
  ctx = await context(browser, demo.url);
  await recordNotifications(ctx);
  page = await ctx.newPage();
  await logIn(page, demo);
  ourNumber = await page.evaluate(() => (window as unknown as { vbx: { state: { session: { number: string } } } }).vbx.state.session.number);
  await phoneReady(page);
});

afterAll(async () => {
  await browser?.close();
});

describe('access', () => {
  it('refuses a wrong password and stays on the login page', async () => {
    const other = await context(browser, demo.url);
    const p = await other.newPage();
    await p.goto('/login');
    await p.getByLabel('Name').fill(demo.user);
    await p.getByLabel('Password').fill(`${demo.password}-wrong`);
    await p.getByRole('button', { name: 'Log in' }).click();
    await expect(p.getByRole('alert').textContent()).resolves.toBe('Wrong name or password.');
    expect(new URL(p.url()).pathname).toBe('/login');
    await other.close();
  });

  it('answers an API call without a session with 401', async () => {
    for (const path of ['/api/session', '/api/conversations', '/api/contacts', '/api/token']) {
      const res = await fetch(`${demo.url}${path}`);
      expect(res.status, path).toBe(401);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code, path).toBe('unauthenticated');
    }
  });

  it('sends a page visit without a session to the login page', async () => {
    const other = await context(browser, demo.url);
    const p = await other.newPage();
    await p.goto('/calls');
    await p.getByRole('button', { name: 'Log in' }).waitFor();
    expect(new URL(p.url()).pathname).toBe('/login');
    await other.close();
  });
});

describe('texts', () => {
  it('shows a text from the simulator live, with a desktop notification while the tab is away', async () => {
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.waitForFunction(() => (window as unknown as { vbx: { state: { live: { status: string } } } }).vbx.state.live.status === 'open');
    await setAway(page, true);
    await sim.textIn(FRIEND, ourNumber, 'Hello from the simulator, https://example.com/x');
    await page.getByText('Hello from the simulator', { exact: false }).first().waitFor();
    await eventually('the notification', async () => (await notifications(page)).find((n) => n.body.includes('Hello from the simulator')));
    await page.waitForFunction(() => /^\(\d+\) /.test(document.title));
    // The text's frame carries the new unread total: the Messages link counts it.
    await page.getByRole('link', { name: /^Messages, \d+ unread$/ }).waitFor();
    await setAway(page, false);
  });

  it('sends a reply that reaches the simulator and shows it delivered', async () => {
    await page.getByRole('link', { name: /Hello from the simulator/ }).click();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Reply from the browser');
    await box.press('Enter');
    const sent = await eventually('the reply at the simulator', async () =>
      (await sim.messages()).find((m) => m.to === FRIEND && m.body === 'Reply from the browser'),
    );
    expect(sent.from).toBe(ourNumber);
    await page.locator('.msg.out', { hasText: 'Reply from the browser' }).getByText(/Delivered|Sent/).waitFor({ timeout: 30_000 });
    await screenshot(page, 'e2e-thread-desktop');
  });

  it('changes the thread title when the contact is renamed', async () => {
    await page.goto('/contacts');
    const form = page.getByRole('form', { name: 'Add a contact' });
    await form.getByLabel('Name').fill('Dana');
    await form.getByLabel('Number').fill(FRIEND);
    await form.getByRole('button', { name: 'Add' }).click();
    await page.getByText('Dana', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Rename Dana' }).click();
    const field = page.getByLabel(`Name for ${FRIEND}`);
    await field.fill('Dana Quinn');
    await field.press('Enter');
    await page.getByText('Dana Quinn', { exact: true }).waitFor();
    await page.goto(`/t/${encodeURIComponent(FRIEND)}`);
    // The heading shows the number until the thread has loaded, then the contact's name.
    await page.getByRole('heading', { level: 2, name: 'Dana Quinn' }).waitFor();
    // A fresh page load gets the name from the server, not from this tab's memory.
    await page.reload();
    await page.getByRole('heading', { name: 'Dana Quinn' }).waitFor();
  });
});

describe('calls', () => {
  it('rings for an incoming call, answers, sends DTMF to the caller, hangs up and logs the call', async () => {
    await page.goto('/');
    await phoneReady(page);
    const sid = await sim.callIn(CALLER, ourNumber);
    const ringing = page.getByRole('alertdialog', { name: /Incoming call from/ });
    await ringing.waitFor({ timeout: 30_000 });
    await screenshot(page, 'e2e-incoming-desktop');
    await ringing.getByRole('button', { name: 'Answer' }).click();
    const bar = page.getByRole('region', { name: /Call with/ });
    await bar.getByTestId('call-timer').getByText(/^\d+:\d\d/).waitFor({ timeout: 30_000 });
    const before = await page.getByRole('navigation', { name: 'Main' }).boundingBox();
    await bar.getByRole('button', { name: 'Keypad' }).click();
    // The keypad opens over the page: nothing below the call bar moves.
    expect(await page.getByRole('navigation', { name: 'Main' }).boundingBox()).toEqual(before);
    await bar.getByRole('button', { name: '5 JKL' }).click();
    await eventually('the digit at the caller', async () => (await sim.transcript(sid)).some((l) => /digits: 5/.test(l)));
    await screenshot(page, 'e2e-in-call-desktop');
    await bar.getByRole('button', { name: 'Hang up' }).click();
    await bar.waitFor({ state: 'detached' });
    await eventually('the call to end at the simulator', async () => ['completed', 'canceled'].includes((await sim.call(sid)).call.status));
    await page.goto('/calls');
    // Said from the Dial action vbx stored: who picked up and how long they talked.
    const logged = page.locator(`li[data-sid="${sid}"]`);
    await logged.getByText(/^Answered in the browser · 0:\d\d · /).waitFor({ timeout: 30_000 });
    // Today's call says when by the clock, without the date.
    expect(await logged.locator('time').textContent()).toMatch(/^\d{1,2}:\d\d [AP]M$/);
    await screenshot(page, 'e2e-calls-desktop');
    await page.goto('/');
    const row = page.getByRole('link', { name: /\(555\) 010-8899/ }).first();
    await row.waitFor();
    expect(await row.textContent()).toContain('Answered call');
    expect(await row.textContent()).not.toMatch(/completed|in-progress|no-answer|answered/);
  });

  it('falls back to the next flow when nobody answers the browser, and logs a missed call that went to voicemail', async () => {
    // The cell phone the flow dials next is busy: the caller reaches voicemail.
    await sim.party(CELL, 'busy');
    await page.goto('/');
    await phoneReady(page);
    const sid = await sim.callIn(CALLER, ourNumber);
    await page.getByRole('alertdialog', { name: /Incoming call from/ }).waitFor({ timeout: 30_000 });
    // Nobody answers: the ringing stops and the flow's `next` dials on to a phone number.
    const fallback = await eventually(
      'the call to be dialed on after the browser',
      async () => (await sim.children(sid)).find((c) => c.to.startsWith('+')),
      120_000,
    );
    expect(fallback.to).toBe(CELL);
    await page.getByRole('alertdialog', { name: /Incoming call from/ }).waitFor({ state: 'detached', timeout: 30_000 });
    // The caller speaks into the recording and the call ends: Twilio says `completed`, but
    // nobody picked up.
    await eventually('the call to end at the simulator', async () => (await sim.call(sid)).call.status === 'completed', 60_000);
    await page.goto('/calls');
    const logged = page.locator(`li[data-sid="${sid}"]`);
    await logged.getByText('Missed call, went to voicemail').waitFor({ timeout: 30_000 });
    await logged.locator('svg.dir.missed').waitFor();
    await logged.locator('audio').waitFor();
  });

  it('places an outgoing call from the dial pad that reaches the simulated party', async () => {
    await sim.party(DIALED, 'answer', 60);
    await page.goto('/phone');
    await phoneReady(page);
    await page.getByRole('group', { name: 'Dial pad' }).waitFor();
    await page.keyboard.type(DIALED.slice(2));
    await page.keyboard.press('Enter');
    const bar = page.getByRole('region', { name: /Call with/ });
    await bar.waitFor();
    // The browser's own call has the dialled number as `To` too; the dialled leg has a parent.
    const reached = await eventually('a call to the dialed number', async () => (await sim.calls()).find((c) => c.to === DIALED && c.parent_call_sid));
    expect(reached.to).toBe(DIALED);
    await bar.getByTestId('call-timer').getByText(/^\d+:\d\d/).waitFor({ timeout: 30_000 });
    await screenshot(page, 'e2e-outgoing-desktop');
    // The timer counts the browser's own call; hang up once the dialled party has answered.
    await eventually('the dialled party to answer', async () => (await sim.call(reached.sid)).call.status === 'in-progress');
    await bar.getByRole('button', { name: 'Hang up' }).click();
    await bar.waitFor({ state: 'detached' });
    // The browser's call (the dialled leg's parent) is logged with how long they talked.
    await page.goto('/calls');
    await page.locator(`li[data-sid="${reached.parent_call_sid}"]`).getByText(/^Outgoing call · 0:\d\d · /).waitFor({ timeout: 30_000 });
  });
});

describe('screens', () => {
  it('keeps screenshots of the main screens at desktop and phone width', async () => {
    for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      for (const dark of [false, true]) {
        const c = await context(browser, demo.url, { viewport, dark });
        const p = await c.newPage();
        await logIn(p, demo);
        const name = (screen: string) => `e2e-${screen}-${label}-${dark ? 'dark' : 'light'}`;
        await screenshot(p, name('inbox'));
        await p.goto(`/t/${encodeURIComponent(FRIEND)}`);
        await p.getByRole('heading', { name: 'Dana Quinn' }).waitFor();
        await screenshot(p, name('thread'));
        for (const screen of ['calls', 'voicemail', 'contacts', 'phone', 'settings']) {
          await p.goto(`/${screen}`);
          await p.getByRole('navigation', { name: 'Main' }).waitFor();
          await screenshot(p, name(screen));
        }
        await c.close();
      }
    }
  });
});
