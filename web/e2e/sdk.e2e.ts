// The browser phone on the real `@twilio/voice-sdk` as vbx bundles it: vbx runs with
// `vbx demo --voice-sdk`, the SDK's signaling goes to the simulator (e2e/voice.ts), and the
// simulator's media peer page is the other end of the audio. Real Chromium, real vbx, real SDK.

import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launch, logIn, notifications, setAway } from './browser';
import { startDemo, type RunningDemo } from './demo';
import { eventually, SimControl } from './sim';
import { appAudio, denyMicrophone, framesOf, openMicrophones, peerAudio, sdkBrowser, type SdkBrowser } from './voice';

const CALLER = '+15550108811';
const DIALED = '+15550107744';
/** The number the demo's `phone` flow dials when the browser does not answer. */
const DEMO_CELL = '+18005555555';

type Win = {
  vbx: {
    state: {
      voice: { status: string };
      banners: { key: string; tone: string; text: string }[];
      call: { id: string; sid: string | null; problem: string | null } | null;
      incoming: unknown[];
      session: { number: string };
    };
  };
};

async function registered(p: Page, timeout = 30_000): Promise<void> {
  await p.waitForFunction(() => (window as unknown as Win).vbx.state.voice.status === 'registered', null, { timeout });
}

async function banners(p: Page): Promise<{ key: string; tone: string; text: string }[]> {
  return p.evaluate(() => (window as unknown as Win).vbx.state.banners);
}

async function browserOnline(p: Page): Promise<boolean> {
  const status = await p.evaluate(async () => (await fetch('/api/status')).json());
  return (status as { devices: { name: string; online: boolean | null }[] }).devices.some((d) => d.name === 'browser' && d.online === true);
}

/** A `vbx demo --voice-sdk`, with `twilio` lines added to its configuration if given. */
async function sdkDemo(twilio = ''): Promise<RunningDemo> {
  const args = ['--voice-sdk'];
  if (twilio) {
    const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const sample = readFileSync(join(repo, 'crates/vbx/src/cli/demo.toml'), 'utf8');
    const file = join(mkdtempSync(join(tmpdir(), 'vbx-e2e-')), 'vbx.toml');
    writeFileSync(file, sample.replace('[twilio]\n', `[twilio]\n${twilio}\n`));
    args.push('--config', file);
  }
  return startDemo(120_000, args);
}

describe('the real Voice SDK', () => {
  let demo: RunningDemo;
  let sim: SimControl;
  let browser: Browser;
  let phone: SdkBrowser;
  let page: Page;
  let ours: string;

  beforeAll(async () => {
    demo = await sdkDemo();
    sim = new SimControl(demo.sim);
    browser = await launch();
    phone = await sdkBrowser(browser, demo);
    page = phone.page;
    await logIn(page, demo);
    ours = await page.evaluate(() => (window as unknown as Win).vbx.state.session.number);
    await registered(page);
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  afterEach(async () => {
    // A test that failed half-way must not leave a call up: the next one would not ring.
    for (const c of await sim.calls()) {
      if (['queued', 'ringing', 'in-progress'].includes(c.status)) await sim.hangup(c.sid).catch(() => undefined);
    }
    await page
      .waitForFunction(() => {
        const s = (window as unknown as Win).vbx.state;
        return s.call === null && s.incoming.length === 0;
      }, null, { timeout: 30_000 })
      .catch(() => undefined);
  });

  it('registers with no error banner, and vbx counts the browser online', async () => {
    const order = phone.frames.map((f) => `${f.dir}:${f.type}`).filter((f) => !f.endsWith(':(unreadable)'));
    expect(order.slice(0, 4)).toEqual(['up:listen', 'down:connected', 'up:register', 'down:ready']);
    expect((await banners(page)).filter((b) => b.tone === 'error')).toEqual([]);
    await eventually('the browser device online in /api/status', () => browserOnline(page));
    // Registering opens no microphone: it is opened for a call only.
    expect(await openMicrophones(page)).toBe(0);
  });

  it('keeps a chosen microphone closed until a call, and chosen devices raise no banner', async () => {
    const mic = await page.evaluate(async () => {
      const all = await navigator.mediaDevices.enumerateDevices();
      return all.find((d) => d.kind === 'audioinput' && d.deviceId && d.deviceId !== 'default')?.deviceId ?? null;
    });
    expect(mic).not.toBeNull();
    await page.evaluate((id) => {
      localStorage.setItem('vbx.input', id as string);
      localStorage.setItem('vbx.output', 'default');
    }, mic);
    await page.reload();
    await registered(page);
    expect(await openMicrophones(page)).toBe(0);
    expect((await banners(page)).filter((b) => b.tone === 'error')).toEqual([]);
  });

  it('answers an incoming call with audio both ways, sends DTMF, hangs up and logs it', async () => {
    const parent = await sim.callIn(CALLER, ours);
    const ringing = page.getByRole('alertdialog', { name: /Incoming call from/ });
    await ringing.waitFor({ timeout: 30_000 });
    await ringing.getByRole('button', { name: 'Answer' }).click();
    const bar = page.getByRole('region', { name: /Call with/ });
    await bar.getByTestId('call-timer').getByText(/^\d+:\d\d/).waitFor({ timeout: 30_000 });
    const leg = await page.evaluate(() => (window as unknown as Win).vbx.state.call?.id ?? '');
    expect(leg).toMatch(/^CA/);
    expect((await sim.children(parent)).map((c) => c.sid)).toContain(leg);
    // The chosen microphone is open for the call only.
    expect(await openMicrophones(page)).toBeGreaterThan(0);

    await eventually('audio from the far end in the app', async () => (await appAudio(page)).received > 2000);
    await eventually('audio from the app at the far end', async () => ((await peerAudio(phone.media, leg))?.received ?? 0) > 2000);
    await eventually('the app counting what it sent', async () => (await appAudio(page)).sent > 2000);

    await bar.getByRole('button', { name: 'Keypad' }).click();
    await bar.getByRole('button', { name: '5 JKL' }).click();
    await eventually('the digit at the simulated call', async () => (await sim.transcript(parent)).some((l) => /digits: 5/.test(l)));
    const dtmf = framesOf(phone.frames, 'up', 'dtmf').at(-1);
    expect(dtmf?.payload).toEqual({ callsid: leg, dtmf: '5' });
    // A one-second pause (`W`), which the SDK itself refuses, goes as two half-second ones.
    await page.evaluate((id) => (window as unknown as { vbx: { phone: { voice: { sendDigits(i: string, d: string): void } } } }).vbx.phone.voice.sendDigits(id, '1W2'), leg);
    await eventually('the paused digits at the simulated call', async () => (await sim.transcript(parent)).some((l) => /digits: 1ww2/.test(l)));

    await bar.getByRole('button', { name: 'Hang up' }).click();
    await bar.waitFor({ state: 'detached' });
    await eventually('the call to end at the simulator', async () => (await sim.call(parent)).call.status === 'completed');
    await eventually('the microphone released', async () => (await openMicrophones(page)) === 0);
    await page.getByRole('status').filter({ hasText: 'Call ended' }).waitFor({ state: 'detached', timeout: 10_000 });
    await page.goto('/calls');
    await page.locator('li', { hasText: '(555) 010-8811' }).first().waitFor({ timeout: 30_000 });
    await registered(page);
  });

  it('ends the call in the app when the caller hangs up', async () => {
    const parent = await sim.callIn(CALLER, ours);
    await page.getByRole('alertdialog', { name: /Incoming call from/ }).getByRole('button', { name: 'Answer' }).click({ timeout: 30_000 });
    const bar = page.getByRole('region', { name: /Call with/ });
    await bar.getByTestId('call-timer').getByText(/^\d+:\d\d/).waitFor({ timeout: 30_000 });
    await sim.hangup(parent);
    await bar.waitFor({ state: 'detached', timeout: 30_000 });
    await eventually('the microphone released', async () => (await openMicrophones(page)) === 0);
  });

  it('clears the ringing and leaves a missed-call notification when the caller gives up', async () => {
    await setAway(page, true);
    const parent = await sim.callIn(CALLER, ours);
    const ringing = page.getByRole('alertdialog', { name: /Incoming call from/ });
    await ringing.waitFor({ timeout: 30_000 });
    await eventually('the incoming-call notification', async () => (await notifications(page)).some((n) => n.title === 'Incoming call' && !n.closed));
    await sim.hangup(parent);
    await ringing.waitFor({ state: 'detached', timeout: 30_000 });
    const shown = await eventually('the missed-call notification', async () => {
      const all = await notifications(page);
      return all.some((n) => n.title === 'Missed call') ? all : null;
    });
    expect(shown.filter((n) => n.title === 'Incoming call' && !n.closed)).toEqual([]);
    await setAway(page, false);
  });

  it('sends a rejected call to the flow’s next step', async () => {
    const parent = await sim.callIn(CALLER, ours);
    await page.getByRole('alertdialog', { name: /Incoming call from/ }).getByRole('button', { name: 'Reject' }).click({ timeout: 30_000 });
    const next = await eventually('the call dialed on to the cell', async () => (await sim.children(parent)).find((c) => c.to === DEMO_CELL), 60_000);
    expect(next.to).toBe(DEMO_CELL);
    await sim.hangup(parent).catch(() => {});
  });

  it('keeps a call ringing when the microphone is refused, and answers once it is allowed', async () => {
    const parent = await sim.callIn(CALLER, ours);
    const ringing = page.getByRole('alertdialog', { name: /Incoming call from/ });
    await ringing.waitFor({ timeout: 30_000 });
    await denyMicrophone(page, true);
    await ringing.getByRole('button', { name: 'Answer' }).click();
    await page.getByText(/microphone is blocked/i).waitFor();
    await ringing.waitFor();
    expect(await page.getByRole('region', { name: /Call with/ }).count()).toBe(0);
    await denyMicrophone(page, false);
    await ringing.getByRole('button', { name: 'Answer' }).click();
    const bar = page.getByRole('region', { name: /Call with/ });
    await bar.getByTestId('call-timer').getByText(/^\d+:\d\d/).waitFor({ timeout: 30_000 });
    await bar.getByRole('button', { name: 'Hang up' }).click();
    await eventually('the call to end at the simulator', async () => (await sim.call(parent)).call.status === 'completed');
  });

  it('places a call from the dial pad with its real CallSid, and hanging up while it rings ends it', async () => {
    await sim.party(DIALED, 'manual');
    await page.goto('/phone');
    await registered(page);
    await page.getByRole('group', { name: 'Dial pad' }).waitFor();
    await page.keyboard.type(DIALED.slice(2));
    await page.keyboard.press('Enter');
    const bar = page.getByRole('region', { name: /Call with/ });
    await bar.waitFor();
    // The browser's own call also has To = the dialed number and rings for a moment before its
    // TwiML runs: the dialed leg is the one with a parent.
    const leg = await eventually('the dialed number ringing at the simulator', async () =>
      (await sim.calls()).find((c) => c.to === DIALED && c.status === 'ringing' && c.parent_call_sid),
    );
    const parent = leg.parent_call_sid ?? '';
    expect(parent).toMatch(/^CA/);
    await eventually('the real CallSid in the app', async () => (await bar.getAttribute('data-sid')) === parent);
    await bar.getByRole('button', { name: 'Hang up' }).click();
    await bar.waitFor({ state: 'detached' });
    await eventually('the call ended at the simulator', async () => (await sim.call(parent)).call.status === 'completed');
    await eventually('the ringing number let go', async () => ['canceled', 'no-answer'].includes((await sim.call(leg.sid)).call.status));
  });

  it('keeps a call through a signaling drop, saying so while it reconnects', async () => {
    const parent = await sim.callIn(CALLER, ours);
    await page.getByRole('alertdialog', { name: /Incoming call from/ }).getByRole('button', { name: 'Answer' }).click({ timeout: 30_000 });
    const bar = page.getByRole('region', { name: /Call with/ });
    await bar.getByTestId('call-timer').getByText(/^\d+:\d\d/).waitFor({ timeout: 30_000 });
    phone.setSignaling(false);
    await bar.getByText(/reconnecting/i).waitFor({ timeout: 30_000 });
    phone.setSignaling(true);
    await bar.getByText(/reconnecting/i).waitFor({ state: 'detached', timeout: 60_000 });
    expect((await sim.call(parent)).call.status).toBe('in-progress');
    const leg = await page.evaluate(() => (window as unknown as Win).vbx.state.call?.id ?? '');
    const before = (await appAudio(page)).received;
    await eventually('audio still arriving', async () => (await appAudio(page)).received > before + 2000);
    await bar.getByRole('button', { name: 'Hang up' }).click();
    await eventually('the call to end at the simulator', async () => (await sim.call(parent)).call.status === 'completed');
    expect(leg).toMatch(/^CA/);
    await registered(page, 60_000);
  });

  it('registers again by itself after signaling dropped and came back', async () => {
    const listens = framesOf(phone.frames, 'up', 'listen').length;
    phone.setSignaling(false);
    await page.waitForFunction(() => (window as unknown as Win).vbx.state.voice.status !== 'registered', null, { timeout: 30_000 });
    phone.setSignaling(true);
    await registered(page, 90_000);
    expect(framesOf(phone.frames, 'up', 'listen').length).toBeGreaterThan(listens);
    await eventually('the browser online again', () => browserOnline(page));
  });

  it('says Twilio is unreachable when registration gets no answer, and Retry then registers', async () => {
    phone.setSignaling(false);
    await page.reload();
    await page.getByText(/Twilio is unreachable/).waitFor({ timeout: 45_000 });
    expect((await banners(page)).some((b) => b.key === 'token')).toBe(false);
    phone.setSignaling(true);
    await page.getByRole('button', { name: 'Retry' }).first().click();
    await registered(page, 45_000);
    expect((await banners(page)).filter((b) => b.tone === 'error')).toEqual([]);
  });

  it('after a reload, rings and asks for a click to enable sound', async () => {
    await page.reload();
    await registered(page);
    const enable = page.getByRole('button', { name: 'Enable sound' });
    await enable.waitFor();
    const parent = await sim.callIn(CALLER, ours);
    await page.getByRole('alertdialog', { name: /Incoming call from/ }).waitFor({ timeout: 30_000 });
    // Any click on the page lets sound play; the banner's own button is the obvious one.
    await enable.click({ force: true });
    await enable.waitFor({ state: 'detached' });
    await sim.hangup(parent);
  });

  it('sends no request to a real Twilio host', () => {
    expect(phone.leaks).toEqual([]);
    for (const url of phone.twilioRequests) expect(new URL(url).hostname).toMatch(/\.twilio\.com$/);
  });
});

describe('the real Voice SDK with tokens Twilio refuses or that run out', () => {
  it('shows an expired token as a token problem, not as Twilio unreachable, and Retry asks again', async () => {
    const demo = await sdkDemo();
    const browser = await launch();
    try {
      // Twilio's clock two hours ahead: every token vbx mints has expired there.
      await fetch(`${demo.sim}/clock`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ advance_seconds: 7200 }) });
      const phone = await sdkBrowser(browser, demo);
      await logIn(phone.page, demo);
      const banner = phone.page.getByText(/Twilio refused the phone token/);
      await banner.waitFor({ timeout: 30_000 });
      expect(await phone.page.getByText(/Twilio is unreachable/).count()).toBe(0);
      const listens = framesOf(phone.frames, 'up', 'listen').length;
      await phone.page.getByRole('button', { name: 'Retry' }).first().click();
      await eventually('a new listen after Retry', async () => framesOf(phone.frames, 'up', 'listen').length > listens);
      await banner.waitFor();
      const texts = (await banners(phone.page)).map((b) => b.text).join('\n');
      expect(texts).not.toMatch(/state|unreachable/i);
    } finally {
      await browser.close();
      await demo.stop();
    }
  });

  it('refreshes a short-lived token before it ends and sends it to Twilio', async () => {
    const demo = await sdkDemo('token_ttl_seconds = 30');
    const browser = await launch();
    try {
      const phone = await sdkBrowser(browser, demo);
      await logIn(phone.page, demo);
      await registered(phone.page);
      const first = framesOf(phone.frames, 'up', 'listen')[0]?.payload.token;
      // The SDK warns 10 s before the end (tokenWillExpire); the app fetches a new token.
      const renewed = await eventually(
        'a listen with a new token',
        async () => framesOf(phone.frames, 'up', 'listen').find((f) => f.payload.token !== first),
        40_000,
      );
      expect(typeof renewed.payload.token).toBe('string');
      const connected = framesOf(phone.frames, 'down', 'connected').at(-1);
      expect((connected?.payload.token as { ttl: number }).ttl).toBeGreaterThan(20);
      await expect(phone.page.evaluate(() => (window as unknown as Win).vbx.state.voice.status)).resolves.toBe('registered');
    } finally {
      await browser.close();
      await demo.stop();
    }
  });
});
