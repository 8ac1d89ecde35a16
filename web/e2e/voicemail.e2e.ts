// The voicemail box end to end, in two tabs (desktop and phone width) of the real app against
// the simulator: callers leave voicemails through the demo's flows (the browser rejects the
// call, the desk's menu takes key 2 to voicemail); the box lists them with the count in the
// navigation and the title; marking one heard and playing one hear them in every tab; deleting
// one takes it out of the box and its thread, and vbx deletes it at the simulator ("Twilio").

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { context, DESKTOP, launch, logIn, PHONE, screenshot } from './browser';
import { eventually, SimControl } from './sim';

const demo = inject('demo');
const sim = new SimControl(demo.sim);

const FIRST = '+15550106601';
const SECOND = '+15550106602';
const FIRST_WORDS = 'Hi, it is about the invoice, please call me back.';
const SECOND_WORDS = 'The parcel is at the front desk.';

type Win = {
  vbx: {
    state: { session: { number: string }; live: { status: string }; voice: { status: string }; newVoicemails: number };
    markAllRead(): Promise<void>;
  };
};

let browser: Browser;
/** A tab at desktop width, and one at phone width. */
let desk: Page;
let phone: Page;
let ours: string;
/** The recording each caller left. */
const left = new Map<string, string>();

async function open(p: Page, path: string): Promise<void> {
  await p.goto(path);
  await p.getByRole('navigation', { name: 'Main' }).waitFor();
  await p.waitForFunction(() => (window as unknown as Win).vbx.state.live.status === 'open');
}

function nav(p: Page, name: string): ReturnType<Page['getByRole']> {
  return p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

function row(p: Page, sid: string): ReturnType<Page['locator']> {
  return p.getByRole('list', { name: 'Voicemails' }).locator(`li[data-sid="${sid}"]`);
}

/** A caller leaves a voicemail: the desktop tab rejects the ringing call, the menu's 2 leads on. */
async function leaveVoicemail(caller: string, words: string): Promise<string> {
  const before = await sim.recordings();
  await desk.waitForFunction(() => (window as unknown as Win).vbx.state.voice.status === 'registered', null, { timeout: 30_000 });
  await sim.callIn(caller, ours, { digits: ['2'], record_seconds: 3, transcription: words });
  const ringing = desk.getByRole('alertdialog', { name: /Incoming call from/ });
  await ringing.getByRole('button', { name: 'Reject' }).click({ timeout: 30_000 });
  const sid = await eventually('the recording at the simulator', async () => (await sim.recordings()).find((r) => !before.includes(r)), 90_000);
  left.set(caller, sid);
  return sid;
}

/** Nothing on the page scrolls sideways. */
async function fitsWidth(p: Page): Promise<boolean> {
  return p.evaluate(() => {
    const doc = document.scrollingElement ?? document.documentElement;
    return doc.scrollWidth <= window.innerWidth + 1;
  });
}

beforeAll(async () => {
  // Playing a recording from a test script is not a user's gesture.
  browser = await launch(['--autoplay-policy=no-user-gesture-required']);
  const deskContext = await context(browser, demo.url, { viewport: DESKTOP });
  desk = await deskContext.newPage();
  desk.on('dialog', (d) => void d.accept());
  await logIn(desk, demo);
  ours = await desk.evaluate(() => (window as unknown as Win).vbx.state.session.number);
  // Earlier tests leave texts and voicemails: start with nothing new.
  await desk.evaluate(() => (window as unknown as Win).vbx.markAllRead());
  const phoneContext = await context(browser, demo.url, { viewport: PHONE });
  phone = await phoneContext.newPage();
  phone.on('dialog', (d) => void d.accept());
  await logIn(phone, demo);
});

afterAll(async () => {
  await browser?.close();
});

describe('the voicemail box', () => {
  it('lists new voicemails with who left them, and counts them in the navigation and the title', async () => {
    await open(desk, '/voicemail');
    await open(phone, '/voicemail');
    expect(await nav(desk, 'Voicemail').count()).toBe(1);
    const first = await leaveVoicemail(FIRST, FIRST_WORDS);
    await nav(desk, 'Voicemail, 1 new').waitFor({ timeout: 30_000 });
    const second = await leaveVoicemail(SECOND, SECOND_WORDS);
    await nav(desk, 'Voicemail, 2 new').waitFor({ timeout: 30_000 });
    await nav(phone, 'Voicemail, 2 new').waitFor({ timeout: 30_000 });
    await eventually('the count in the title', async () => (await desk.title()) === '(2) vbx');

    // Newest first, each with its caller (a link to the thread), time, length and transcript.
    const list = desk.getByRole('list', { name: 'Voicemails' });
    await row(desk, second).waitFor();
    const order = await list.locator('li[data-sid]').evaluateAll((els) => els.map((el) => el.getAttribute('data-sid')));
    expect(order.slice(0, 2)).toEqual([second, first]);
    const entry = row(desk, first);
    expect(await entry.getAttribute('aria-label')).toMatch(/^Voicemail from .*6601, new$/);
    expect(await entry.getByRole('link', { name: /^Conversation with / }).getAttribute('href')).toBe(`/t/${encodeURIComponent(FIRST)}`);
    await entry.getByText(FIRST_WORDS).waitFor({ timeout: 30_000 });
    expect(await entry.textContent()).toMatch(/0:0[2-4]/);
    expect(await entry.locator('audio').getAttribute('src')).toBe(`/api/recordings/${first}`);
    await screenshot(desk, 'e2e-voicemail-desktop');

    // At phone width too, with nothing scrolling sideways.
    await row(phone, first).getByText(FIRST_WORDS).waitFor({ timeout: 30_000 });
    expect(await fitsWidth(phone)).toBe(true);
    const box = await nav(phone, 'Voicemail, 2 new').boundingBox();
    expect(box && box.x + box.width <= PHONE.width).toBe(true);
    await screenshot(phone, 'e2e-voicemail-phone');
  });

  it('hears a voicemail marked heard, and one played, in every tab', async () => {
    const first = left.get(FIRST) as string;
    const second = left.get(SECOND) as string;
    await row(desk, first).getByRole('button', { name: 'Mark heard' }).click();
    await nav(desk, 'Voicemail, 1 new').waitFor();
    // The other tab hears of it live.
    await nav(phone, 'Voicemail, 1 new').waitFor({ timeout: 15_000 });
    await eventually('the first heard in the phone tab', async () => (await row(phone, first).getAttribute('aria-label'))?.endsWith(', new') === false);
    expect(await row(phone, first).getByRole('button', { name: 'Mark heard' }).count()).toBe(0);

    // Playing the second hears it.
    await row(phone, second).locator('audio').evaluate((a: HTMLAudioElement) => a.play().catch(() => undefined));
    await nav(phone, 'Voicemail').waitFor({ timeout: 15_000 });
    await nav(desk, 'Voicemail').waitFor({ timeout: 15_000 });
    await eventually('the title without a count', async () => (await desk.title()) === 'vbx');
    // vbx agrees after a reload.
    await open(desk, '/voicemail');
    await row(desk, second).waitFor();
    expect(await row(desk, second).getAttribute('aria-label')).not.toMatch(/new$/);
    expect(await desk.evaluate(() => (window as unknown as Win).vbx.state.newVoicemails)).toBe(0);
  });

  it('deletes a voicemail from the box and its thread, here and at Twilio', async () => {
    const first = left.get(FIRST) as string;
    await open(desk, `/t/${encodeURIComponent(FIRST)}`);
    const inThread = desk.locator(`.voicemail[data-sid="${first}"]`);
    await inThread.waitFor();
    expect(await sim.recordings()).toContain(first);

    await row(phone, first).getByRole('button', { name: /^Delete voicemail from / }).click();
    await row(phone, first).waitFor({ state: 'detached' });
    await phone.getByText('Voicemail deleted').waitFor();
    // Gone live from the thread open in the other tab, and from the box after a reload.
    await inThread.waitFor({ state: 'detached', timeout: 15_000 });
    await open(phone, '/voicemail');
    await row(phone, left.get(SECOND) as string).waitFor();
    expect(await row(phone, first).count()).toBe(0);
    // vbx's worker deletes Twilio's copy.
    await eventually('the recording deleted at the simulator', async () => !(await sim.recordings()).includes(first), 30_000);
    expect(await sim.recordings()).toContain(left.get(SECOND));
  });

  it('says in the call log and the thread what each call went through', async () => {
    // The tab rejected the ringing browser, the caller pressed 2 at the menu and left a message.
    const went = /rang browser · not answered \([a-z-]+\) · pressed 2 → voicemail · voicemail/;
    await open(phone, '/calls');
    await phone.locator('.call-path').filter({ hasText: went }).first().waitFor({ timeout: 15_000 });
    await open(phone, `/t/${encodeURIComponent(SECOND)}`);
    await phone.locator('.call-path').filter({ hasText: went }).first().waitFor({ timeout: 15_000 });
    expect(await fitsWidth(phone)).toBe(true);
  });
});
