import { describe, expect, it } from 'vitest';
import { DEMO_COMMAND, parseDemoOutput } from '../e2e/demo';

describe('reading the vbx demo banner', () => {
  it('finds the app URL, the login and the simulator control URL', () => {
    const out = [
      '2025-06-18T10:00:00Z  INFO vbx: starting',
      'vbx demo is running',
      '  open:       http://127.0.0.1:41234/',
      '  log in as:  demo / k7Hq2x',
      '  simulator:  http://127.0.0.1:41235/_sim',
    ].join('\n');
    expect(parseDemoOutput(out)).toEqual({ url: 'http://127.0.0.1:41234', user: 'demo', password: 'k7Hq2x', sim: 'http://127.0.0.1:41235/_sim' });
  });
  it('accepts other wordings and a simulator base without /_sim', () => {
    const out = 'simulator control API: http://127.0.0.1:9/\nuser demo password p@ss\nvbx listening on http://127.0.0.1:8/';
    expect(parseDemoOutput(out)).toEqual({ url: 'http://127.0.0.1:8', user: 'demo', password: 'p@ss', sim: 'http://127.0.0.1:9/_sim' });
  });
  it('waits until all three were printed', () => {
    expect(parseDemoOutput('vbx: http://127.0.0.1:8/\nlogin: demo / x')).toBeNull();
  });
  it('ignores the webhook URLs it prints for Twilio', () => {
    const out = 'Twilio webhook: http://127.0.0.1:8/flow/voice/default\napp: http://127.0.0.1:8/\nlogin: a / b\nsimulator: http://127.0.0.1:9/_sim';
    expect(parseDemoOutput(out)?.url).toBe('http://127.0.0.1:8');
  });
  it('runs vbx demo on a free port', () => {
    expect(DEMO_COMMAND.slice(1)).toEqual(['demo', '--listen', '127.0.0.1:0', '--sim-listen', '127.0.0.1:0']);
    expect(DEMO_COMMAND[0]).toMatch(/vbx$/);
  });
});
