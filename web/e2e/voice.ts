// The real `@twilio/voice-sdk`, as vbx bundles it, against the simulator instead of Twilio: its
// signaling WebSocket (wss://voice-js.<edge>.twilio.com/signal) is routed to the simulator's
// /_sim/signal, the simulator's media peer page is the far end of the audio, and every other
// request to a Twilio host is answered here, so nothing leaves the machine.

import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import WebSocket from 'ws';
import { context, recordNotifications } from './browser';
import type { Demo } from './demo';

export const SIGNALING = /^wss:\/\/voice-js\.[a-z0-9-]+\.twilio\.com\/signal$/;
const TWILIO_HTTPS = /^https:\/\/([a-z0-9-]+\.)*twilio\.com\//;

export interface Frame {
  /** `up`: from the SDK to Twilio; `down`: from Twilio to the SDK. */
  dir: 'up' | 'down';
  type: string;
  payload: Record<string, unknown>;
}

export interface SdkBrowser {
  ctx: BrowserContext;
  /** The vbx app (logged in once `logIn` ran). */
  page: Page;
  /** The simulator's media peer page, the far end of every call's audio. */
  media: Page;
  /** Every signaling frame, in order. */
  frames: Frame[];
  /** Every HTTPS request the page made to a Twilio host (all answered here). */
  twilioRequests: string[];
  /** Requests for any other host than this machine (refused). */
  leaks: string[];
  /** Down: the open signaling sockets drop and new ones are closed at once. */
  setSignaling(up: boolean): void;
}

/** Half a second of a 440 Hz tone as a WAV file: the ringtones the SDK would fetch from Twilio. */
function tone(): Buffer {
  const rate = 8000;
  const samples = rate / 2;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i += 1) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/**
 * Wraps the page's RTCPeerConnection and getUserMedia so a test can read audio statistics and
 * see which microphones are open; `__denyMicrophone` makes getUserMedia refuse as a user would.
 * Headless Chromium lets every page play sound, so the autoplay policy of a desktop browser (an
 * AudioContext stays suspended until the user interacts with the page) is applied here.
 */
function instrument(): void {
  // Chromium counts navigations from Playwright as activation, so the gesture is tracked here.
  let gestured = false;
  for (const type of ['pointerdown', 'keydown']) {
    window.addEventListener(type, (e) => {
      if (e.isTrusted) gestured = true;
    }, true);
  }
  const Audio = window.AudioContext;
  let proto: object | null = Audio.prototype;
  let nativeState: (() => AudioContextState) | undefined;
  while (proto && !nativeState) {
    nativeState = Object.getOwnPropertyDescriptor(proto, 'state')?.get as (() => AudioContextState) | undefined;
    proto = Object.getPrototypeOf(proto);
  }
  class Policed extends Audio {
    constructor(options?: AudioContextOptions) {
      super(options);
      let allowed = gestured;
      Object.defineProperty(this, 'state', { get: () => (allowed ? nativeState?.call(this) : 'suspended'), configurable: true });
      const resume = this.resume.bind(this);
      this.resume = async () => {
        if (!gestured) return;
        allowed = true;
        await resume();
      };
    }
  }
  Object.defineProperty(window, 'AudioContext', { value: Policed, configurable: true, writable: true });
  const w = window as unknown as {
    __pcs: RTCPeerConnection[];
    __streams: MediaStream[];
    __denyMicrophone: boolean;
  };
  w.__pcs = [];
  w.__streams = [];
  w.__denyMicrophone = false;
  const Native = window.RTCPeerConnection;
  class Recorded extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      w.__pcs.push(this);
    }
  }
  Object.defineProperty(window, 'RTCPeerConnection', { value: Recorded, configurable: true, writable: true });
  const media = navigator.mediaDevices;
  const getUserMedia = media.getUserMedia.bind(media);
  media.getUserMedia = async (constraints?: MediaStreamConstraints) => {
    if (w.__denyMicrophone) throw new DOMException('Permission denied', 'NotAllowedError');
    const stream = await getUserMedia(constraints);
    w.__streams.push(stream);
    return stream;
  };
}

export async function sdkBrowser(browser: Browser, demo: Demo): Promise<SdkBrowser> {
  const ctx = await context(browser, demo.url);
  await recordNotifications(ctx);
  await ctx.addInitScript(instrument);
  const frames: Frame[] = [];
  const twilioRequests: string[] = [];
  const leaks: string[] = [];
  const open = new Set<WebSocketRoute>();
  let up = true;
  const signal = `${demo.sim.replace(/^http/, 'ws')}/signal`;
  const record = (dir: Frame['dir'], message: string | Buffer) => {
    if (typeof message !== 'string' || message.trim() === '') return;
    try {
      const f = JSON.parse(message) as { type: string; payload?: Record<string, unknown> };
      frames.push({ dir, type: f.type, payload: f.payload ?? {} });
    } catch {
      frames.push({ dir, type: '(unreadable)', payload: { message } });
    }
  };

  // Anything for another host than this machine would leave it: record and refuse it.
  await ctx.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return route.continue();
    leaks.push(url.href);
    return route.abort('blockedbyclient');
  });
  const sound = tone();
  await ctx.route(TWILIO_HTTPS, (route) => {
    const url = route.request().url();
    twilioRequests.push(url);
    if (/\.(mp3|wav|ogg)(\?|$)/.test(url)) return route.fulfill({ status: 200, contentType: 'audio/wav', body: sound });
    // Insights (eventgw): accepted and dropped.
    return route.fulfill({ status: 200, contentType: 'application/json', body: '{}' });
  });
  await ctx.routeWebSocket(SIGNALING, (ws) => {
    if (!up) {
      ws.close({ code: 4000, reason: 'signaling down (test)' });
      return;
    }
    // Playwright's own forwarding only reaches the original URL, so the test bridges the page's
    // socket to the simulator itself.
    const server = new WebSocket(signal);
    const early: string[] = [];
    open.add(ws);
    server.on('message', (data) => {
      const m = data.toString();
      record('down', m);
      ws.send(m);
    });
    server.on('open', () => {
      for (const m of early.splice(0)) server.send(m);
    });
    server.on('close', () => {
      open.delete(ws);
      ws.close({ code: 4001, reason: 'the simulator closed the signaling' });
    });
    server.on('error', () => {});
    ws.onMessage((m) => {
      const text = typeof m === 'string' ? m : m.toString();
      record('up', text);
      if (server.readyState === WebSocket.OPEN) server.send(text);
      else early.push(text);
    });
    ws.onClose(() => {
      open.delete(ws);
      server.close();
    });
  });

  const media = await ctx.newPage();
  await media.goto(`${demo.sim}/media-peer`);
  await media.locator('#status', { hasText: /^connected$/ }).waitFor();
  const page = await ctx.newPage();
  if (process.env.VBX_E2E_CONSOLE) page.on('console', (m) => console.log(`[page ${m.type()}] ${m.text()}`));
  return {
    ctx,
    page,
    media,
    frames,
    twilioRequests,
    leaks,
    setSignaling(value: boolean) {
      up = value;
      if (!value) for (const ws of [...open]) void ws.close({ code: 4000, reason: 'signaling down (test)' });
    },
  };
}

/** Audio bytes a call's peer connection in the app has sent and received. */
export async function appAudio(page: Page): Promise<{ sent: number; received: number }> {
  return page.evaluate(async () => {
    let sent = 0;
    let received = 0;
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue;
      for (const s of (await pc.getStats()).values()) {
        if (s.type === 'outbound-rtp' && s.kind === 'audio') sent += s.bytesSent ?? 0;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') received += s.bytesReceived ?? 0;
      }
    }
    return { sent, received };
  });
}

/** Audio bytes the media peer exchanged on one call (by its SID at the simulator). */
export async function peerAudio(media: Page, sid: string): Promise<{ sent: number; received: number } | null> {
  return media.evaluate(async (s) => {
    const stats = await (window as unknown as { mediaStats: () => Promise<Record<string, { sent: number; received: number }>> }).mediaStats();
    return stats[s] ?? null;
  }, sid);
}

/** Microphone tracks the app holds open right now. */
export async function openMicrophones(page: Page): Promise<number> {
  return page.evaluate(() =>
    (window as unknown as { __streams: MediaStream[] }).__streams.flatMap((s) => s.getAudioTracks()).filter((t) => t.readyState === 'live').length,
  );
}

export async function denyMicrophone(page: Page, deny: boolean): Promise<void> {
  await page.evaluate((d) => {
    (window as unknown as { __denyMicrophone: boolean }).__denyMicrophone = d;
  }, deny);
}

export function framesOf(frames: Frame[], dir: Frame['dir'], type: string): Frame[] {
  return frames.filter((f) => f.dir === dir && f.type === type);
}
