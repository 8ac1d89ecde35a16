// Headless Chromium for the end-to-end tests: Debian's /usr/bin/chromium driven by
// playwright-core (no browser download), with the flags this machine needs.

import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.VBX_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

export const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--headless',
];

export async function launch(extraFlags: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}. Install it with: apt-get install -y chromium (or set VBX_CHROMIUM).`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: [...FLAGS, ...extraFlags], headless: true });
}

/** Logs in through the login page and waits for the app. */
export async function logIn(p: Page, who: { user: string; password: string }): Promise<void> {
  await p.goto('/login');
  await p.getByLabel('Name').fill(who.user);
  await p.getByLabel('Password').fill(who.password);
  await p.getByRole('button', { name: 'Log in' }).click();
  await p.getByRole('navigation', { name: 'Main' }).waitFor();
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function context(
  browser: Browser,
  baseURL: string,
  opts: { viewport?: { width: number; height: number }; dark?: boolean } = {},
): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    baseURL,
    viewport: opts.viewport ?? DESKTOP,
    colorScheme: opts.dark ? 'dark' : 'light',
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  await ctx.grantPermissions(['microphone', 'notifications'], { origin: baseURL });
  return ctx;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/**
 * Replaces window.Notification with a recorder (headless Chromium shows no desktop notifications)
 * and lets the test pretend the tab is in the background.
 */
export async function recordNotifications(ctx: BrowserContext): Promise<void> {
  await ctx.addInitScript(() => {
    const w = window as unknown as { __notifications: { title: string; body: string; closed: boolean }[]; __away: boolean };
    w.__notifications = [];
    w.__away = false;
    class Recorded {
      static permission = 'granted';
      static requestPermission = async () => 'granted';
      onclick: (() => void) | null = null;
      private readonly entry: { title: string; body: string; closed: boolean };
      constructor(title: string, opts?: { body?: string }) {
        this.entry = { title, body: opts?.body ?? '', closed: false };
        w.__notifications.push(this.entry);
      }
      close() {
        this.entry.closed = true;
      }
    }
    Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true });
    Object.defineProperty(document, 'visibilityState', { get: () => (w.__away ? 'hidden' : 'visible'), configurable: true });
    Object.defineProperty(document, 'hidden', { get: () => w.__away, configurable: true });
    const hasFocus = document.hasFocus.bind(document);
    document.hasFocus = () => !w.__away && hasFocus();
  });
}

export async function setAway(page: Page, away: boolean): Promise<void> {
  await page.evaluate((a) => {
    (window as unknown as { __away: boolean }).__away = a;
    document.dispatchEvent(new Event('visibilitychange'));
    window.dispatchEvent(new Event(a ? 'blur' : 'focus'));
  }, away);
}

export async function notifications(page: Page): Promise<{ title: string; body: string; closed: boolean }[]> {
  return page.evaluate(() => (window as unknown as { __notifications: { title: string; body: string; closed: boolean }[] }).__notifications);
}
