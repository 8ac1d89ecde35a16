// How a text travels as SMS: GSM-7 when every character is in the GSM 03.38 alphabet (160 per
// message, 153 per part of a long one, extension characters count twice), else UCS-2 (70, or
// 67 per part, counted in UTF-16 units). Twilio refuses bodies over 1,600 characters.

export const MAX_BODY = 1600;

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';

export interface SmsSize {
  encoding: 'GSM-7' | 'UCS-2';
  /** Characters as Twilio counts them for the 1,600 limit. */
  characters: number;
  segments: number;
}

export function smsSize(text: string): SmsSize {
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (GSM_BASIC.includes(ch)) septets += 1;
    else if (GSM_EXTENDED.includes(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  const characters = [...text].length;
  if (text === '') return { encoding: 'GSM-7', characters: 0, segments: 0 };
  if (gsm) return { encoding: 'GSM-7', characters, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  const units = text.length;
  return { encoding: 'UCS-2', characters, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
