import { describe, expect, it } from 'vitest';
import { Api, ApiError, query } from '../src/api';

interface Seen {
  url: string;
  init: RequestInit;
}

function fakeFetch(responses: (Response | Error)[]) {
  const seen: Seen[] = [];
  const f = (async (url: string, init: RequestInit) => {
    seen.push({ url, init });
    const r = responses.shift();
    if (!r) throw new Error('no response left');
    if (r instanceof Error) throw r;
    return r;
  }) as unknown as typeof fetch;
  return { f, seen };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('Api', () => {
  it('sends the CSRF token from login on state-changing requests only', async () => {
    const { f, seen } = fakeFetch([json(200, { user: { name: 'ann' }, csrf: 'c1' }), json(200, { items: [], next: null }), new Response(null, { status: 204 })]);
    const api = new Api(f);
    await api.login('ann', 'pw');
    await api.conversations('', null);
    await api.markRead('+15551234567');
    const headers = seen.map((s) => (s.init.headers as Record<string, string>)['X-CSRF-Token']);
    expect(headers).toEqual([undefined, undefined, 'c1']);
    expect(seen[2]?.url).toBe('/api/threads/%2B15551234567/read');
    expect(seen[0]?.init.body).toBe(JSON.stringify({ name: 'ann', password: 'pw' }));
  });

  it('turns the error envelope into an ApiError with code and message', async () => {
    const { f } = fakeFetch([json(502, { error: { code: 'twilio', message: 'Twilio is down' } })]);
    const err = await new Api(f).sendMessage('+1', 'hi', []).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 502, code: 'twilio', message: 'Twilio is down' });
  });

  it('reports a lost session, but not a refused login', async () => {
    const { f } = fakeFetch([
      json(401, { error: { code: 'bad_credentials', message: 'no' } }),
      json(401, { error: { code: 'unauthenticated', message: 'log in' } }),
    ]);
    const api = new Api(f);
    let lost = 0;
    api.onUnauthenticated = () => (lost += 1);
    await api.login('ann', 'bad').catch(() => {});
    expect(lost).toBe(0);
    await api.contacts().catch(() => {});
    expect(lost).toBe(1);
  });

  it('says vbx is unreachable when the request never got an answer', async () => {
    const { f } = fakeFetch([new TypeError('Failed to fetch')]);
    const err = await new Api(f).status().catch((e) => e);
    expect(err).toMatchObject({ status: 0, code: 'offline', offline: true });
  });

  it('keeps a useful message when an error body is not JSON', async () => {
    const { f } = fakeFetch([new Response('<html>bad gateway</html>', { status: 502 })]);
    const err = await new Api(f).status().catch((e) => e);
    expect(err).toMatchObject({ status: 502, code: 'http_502' });
  });

  it('sends pictures as multipart form data', async () => {
    const { f, seen } = fakeFetch([json(202, { id: 1, status: 'queued' })]);
    const file = new File([new Uint8Array([1, 2, 3])], 'cat.png', { type: 'image/png' });
    await new Api(f).sendMessage('+15551234567', 'look', [file]);
    const body = seen[0]?.init.body as FormData;
    expect(body).toBeInstanceOf(FormData);
    expect(body.get('to')).toBe('+15551234567');
    expect(body.get('body')).toBe('look');
    expect((body.get('media') as File).name).toBe('cat.png');
  });

  it('builds query strings from set values only', () => {
    expect(query({ q: 'a b', before: null, limit: 50, x: '' })).toBe('q=a+b&limit=50');
  });
});
