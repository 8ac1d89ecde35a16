import { describe, expect, it } from 'vitest';
import { smsSize } from '../src/sms';

describe('smsSize', () => {
  it('counts a plain text in GSM-7: 160 in one SMS, 153 per part after', () => {
    expect(smsSize('')).toEqual({ encoding: 'GSM-7', characters: 0, segments: 0 });
    expect(smsSize('a'.repeat(160))).toEqual({ encoding: 'GSM-7', characters: 160, segments: 1 });
    expect(smsSize('a'.repeat(161)).segments).toBe(2);
    expect(smsSize('a'.repeat(306)).segments).toBe(2);
    expect(smsSize('a'.repeat(307)).segments).toBe(3);
  });
  it('counts the extension characters of GSM-7 twice', () => {
    expect(smsSize('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', characters: 80, segments: 1 });
    expect(smsSize('€'.repeat(81)).segments).toBe(2);
  });
  it('switches to UCS-2 for anything else: 70 in one SMS, 67 per part, emoji count two units', () => {
    expect(smsSize('ü'.repeat(100)).encoding).toBe('GSM-7');
    expect(smsSize('ç'.repeat(70))).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(smsSize('ç'.repeat(71)).segments).toBe(2);
    expect(smsSize('🙂'.repeat(35))).toMatchObject({ encoding: 'UCS-2', characters: 35, segments: 1 });
    expect(smsSize('🙂'.repeat(36)).segments).toBe(2);
  });
});
