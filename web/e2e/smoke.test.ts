// Smoke test of the built UI in headless Chromium against the in-memory stand-in for vbx: the
// login page, logging in, the main screens at desktop and phone width in light and dark, a live
// text with a notification, and a reply. Screenshots go to e2e/artifacts/.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, DESKTOP, launch, notifications, PHONE, recordNotifications, screenshot, setAway } from './browser';
import { startMockServer, type MockServer } from './mock/server';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

let browser: Browser;
let server: MockServer;

beforeAll(async () => {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error(`No built app in ${DIST}: run npm run build first.`);
  server = await startMockServer(DIST);
  browser = await launch();
});

afterAll(async () => {
  expect(pageErrors).toEqual([]);
  await browser?.close();
  await server?.close();
});

/** Anything the page logged as an error (a CSP violation, an exception) fails the test. */
const pageErrors: string[] = [];

async function loggedIn(viewport = DESKTOP, dark = false) {
  const ctx = await context(browser, server.url, { viewport, dark });
  await recordNotifications(ctx);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(m.text());
  });
  await page.goto('/login');
  await page.getByLabel('Name').fill('demo');
  await page.getByLabel('Password').fill('demo-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return { ctx, page };
}

describe('the built app against a stand-in server', () => {
  it('sends a visitor without a session to the login page and keeps where they wanted to go', async () => {
    const ctx = await context(browser, server.url);
    const page = await ctx.newPage();
    await page.goto('/contacts');
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/contacts');
    await screenshot(page, 'smoke-login-desktop-light');
    await ctx.close();
  });

  it('draws the login page in dark mode and at phone width', async () => {
    for (const [name, viewport, dark] of [['smoke-login-desktop-dark', DESKTOP, true], ['smoke-login-phone-light', PHONE, false], ['smoke-login-phone-dark', PHONE, true]] as const) {
      const ctx = await context(browser, server.url, { viewport, dark });
      const page = await ctx.newPage();
      await page.goto('/login');
      await page.getByRole('button', { name: 'Log in' }).waitFor();
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(bg, name).toBe(dark ? 'rgb(21, 23, 28)' : 'rgb(246, 247, 249)');
      await screenshot(page, name);
      await ctx.close();
    }
  });

  it('refuses a wrong password with a visible message', async () => {
    const ctx = await context(browser, server.url);
    const page = await ctx.newPage();
    await page.goto('/login');
    await page.getByLabel('Name').fill('demo');
    await page.getByLabel('Password').fill('nope');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Wrong name or password.');
    await screenshot(page, 'smoke-login-refused');
    await ctx.close();
  });

  it('logs in, shows the conversations with unread counts, and opens a thread', async () => {
    const { ctx, page } = await loggedIn();
    await page.getByRole('link', { name: /Alice Smith/ }).click();
    await page.getByRole('heading', { name: 'Alice Smith' }).waitFor();
    // Markup in a message is shown as text, and the URL is a link.
    await page.getByText('I will bring the <b>slides</b>.', { exact: false }).waitFor();
    expect(await page.getByRole('link', { name: 'https://example.com/menu', exact: true }).getAttribute('href')).toBe('https://example.com/menu');
    await page.getByText('Incoming call · 2:34').waitFor();
    await screenshot(page, 'smoke-thread-desktop-light');
    await ctx.close();
  });

  it('shows a text that arrives live, with a notification while the tab is away, and sends a reply', async () => {
    const { ctx, page } = await loggedIn();
    await page.getByRole('link', { name: /Carol/ }).waitFor({ state: 'detached', timeout: 1000 }).catch(() => {});
    await page.getByRole('link', { name: /Alice Smith/ }).click();
    await page.getByRole('heading', { name: 'Alice Smith' }).waitFor();
    await page.waitForFunction(() => (window as unknown as { vbx: { state: { live: { status: string } } } }).vbx.state.live.status === 'open');
    await setAway(page, true);
    server.inbound('+15550003333', 'Are you in the office today?');
    await page.getByText('Are you in the office today?').waitFor();
    await page.waitForFunction(() => document.title.startsWith('('));
    expect(await notifications(page)).toEqual([{ title: 'Carol (front desk)', body: 'Are you in the office today?' }]);
    await setAway(page, false);

    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Yes, until 5.');
    await box.press('Shift+Enter');
    await box.pressSequentially('Come by!');
    await box.press('Enter');
    await page.getByText('Delivered').waitFor();
    expect(server.sent).toEqual([{ to: '+15550001111', body: 'Yes, until 5.\nCome by!' }]);
    await ctx.close();
  });

  it('shows a banner when the connection drops, reconnects and catches up on what it missed', async () => {
    const { ctx, page } = await loggedIn();
    await page.waitForFunction(() => (window as unknown as { vbx: { state: { voice: { status: string } } } }).vbx.state.voice.status === 'registered');
    server.down();
    const banner = page.locator('[data-banner="live"]');
    await banner.getByText(/Connection to vbx lost/).waitFor();
    server.inbound('+15550009999', 'Sent while you were away');
    await screenshot(page, 'smoke-connection-lost-desktop-light');
    server.up();
    await banner.getByRole('button', { name: 'Retry now' }).click().catch(() => {});
    await banner.waitFor({ state: 'detached' });
    await page.getByText('Sent while you were away').waitFor();
    const resumes = server.wsFrames.filter((f) => f.type === 'resume');
    expect(resumes.length).toBeGreaterThan(0);
    // The tab says again that it can ring, on the new connection.
    expect(server.wsFrames.filter((f) => f.type === 'voice' && f.registered === true).length).toBeGreaterThan(1);
    await ctx.close();
  });

  it('rings with the caller name, answers, sends tones, mutes and hangs up', async () => {
    const { ctx, page } = await loggedIn();
    await page.waitForFunction(() => (window as unknown as { vbx: { state: { voice: { status: string } } } }).vbx.state.voice.status === 'registered');
    const sid = server.ring('+15550002222');
    const ringing = page.getByRole('alertdialog', { name: 'Incoming call from Bob Alison' });
    await ringing.waitFor();
    await page.waitForFunction(() => document.title.startsWith('Call from Bob Alison'));
    await screenshot(page, 'smoke-incoming-desktop-light');
    await ringing.getByRole('button', { name: 'Answer' }).click();
    const bar = page.getByRole('region', { name: 'Call with Bob Alison' });
    await bar.getByTestId('call-timer').getByText(/^0:0\d/).waitFor();
    await bar.getByRole('button', { name: 'Keypad' }).click();
    await bar.getByRole('button', { name: '5 JKL' }).click();
    await page.keyboard.press('#');
    await bar.getByRole('button', { name: 'Mute' }).click();
    await bar.getByRole('button', { name: 'Unmute' }).waitFor();
    await screenshot(page, 'smoke-in-call-desktop-light');
    await bar.getByRole('button', { name: 'Hang up' }).click();
    await bar.waitFor({ state: 'detached' });
    const frames = server.clientFrames.filter((f) => f.call_sid === sid);
    expect(frames).toEqual([
      { type: 'accept', call_sid: sid },
      { type: 'digits', call_sid: sid, digits: '5' },
      { type: 'digits', call_sid: sid, digits: '#' },
      { type: 'hangup', call_sid: sid },
    ]);
    await ctx.close();
  });

  it('calls a contact by name from the dial pad', async () => {
    const { ctx, page } = await loggedIn(PHONE);
    await page.waitForFunction(() => (window as unknown as { vbx: { state: { voice: { status: string } } } }).vbx.state.voice.status === 'registered');
    await page.goto('/phone');
    await page.getByRole('group', { name: 'Dial pad' }).waitFor();
    await page.keyboard.type('caro');
    await page.keyboard.press('Enter');
    const bar = page.getByRole('region', { name: 'Call with Carol (front desk)' });
    await bar.getByTestId('call-timer').getByText(/^0:0\d/).waitFor();
    expect(server.clientFrames.filter((f) => f.type === 'connect').at(-1)).toEqual({ type: 'connect', params: { To: '+15550003333' } });
    await screenshot(page, 'smoke-in-call-phone-light');
    await bar.getByRole('button', { name: 'Hang up' }).click();
    await ctx.close();
  });

  it('draws every main screen at desktop and phone width, light and dark', async () => {
    for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      for (const dark of [false, true]) {
        const { ctx, page } = await loggedIn(viewport, dark);
        const suffix = `${label}-${dark ? 'dark' : 'light'}`;
        await page.getByText('Bob Alison').first().waitFor();
        await screenshot(page, `smoke-inbox-${suffix}`);
        await page.goto('/t/%2B15550002222');
        await page.getByText('Call me back about the invoice', { exact: false }).waitFor();
        await screenshot(page, `smoke-voicemail-${suffix}`);
        await page.goto('/calls');
        await page.getByRole('heading', { name: 'Calls' }).waitFor();
        await page.getByText('Missed call', { exact: false }).first().waitFor();
        await screenshot(page, `smoke-calls-${suffix}`);
        await page.goto('/contacts');
        await page.getByText('Carol (front desk)').waitFor();
        await screenshot(page, `smoke-contacts-${suffix}`);
        await page.goto('/phone');
        await page.getByRole('group', { name: 'Dial pad' }).waitFor();
        await page.keyboard.type('ali');
        await page.getByRole('button', { name: 'Call Alice Smith' }).waitFor();
        await screenshot(page, `smoke-phone-${suffix}`);
        await page.goto('/settings');
        await page.getByText('Twilio: reachable').waitFor();
        await screenshot(page, `smoke-settings-${suffix}`);
        await ctx.close();
      }
    }
  });
});
