// Picks the voice layer the server asked for in `GET /api/session` (`voice`, default Twilio).

import type { VoiceConfig } from '../types';
import type { VoiceLayer } from './layer';
import { SimVoice } from './sim';
import { TwilioVoice } from './twilio';

export function createVoice(config: VoiceConfig | undefined): VoiceLayer {
  if (config?.kind === 'sim') return new SimVoice({ url: absoluteWsUrl(config.url) });
  return new TwilioVoice();
}

/** The simulator URL may be given relative to this page (`/_sim/client`). */
export function absoluteWsUrl(url: string, base: string = globalThis.location?.href ?? 'http://localhost/'): string {
  const u = new URL(url, base);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol === 'https:') u.protocol = 'wss:';
  return u.toString();
}
