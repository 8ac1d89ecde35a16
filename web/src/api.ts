// The JSON API client: session, CSRF header on every state-changing request, and errors as
// ApiError with the server's code and message.

import type {
  Blocked,
  CallRecord,
  Contact,
  Conversation,
  ConversationView,
  Page,
  SearchHit,
  Session,
  Status,
  ThreadPage,
  Voicemail,
  VoiceToken,
} from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The request never got an answer (server down, network gone). */
  get offline(): boolean {
    return this.status === 0;
  }
}

type Fetch = typeof fetch;

export class Api {
  csrf = '';
  /** Called when the server says the session is gone, so the app can show the login page. */
  onUnauthenticated: () => void = () => {};

  constructor(private readonly fetchImpl: Fetch = (...a) => fetch(...a)) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    let payload: BodyInit | undefined;
    if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    if (method !== 'GET' && this.csrf) headers['X-CSRF-Token'] = this.csrf;
    let res: Response;
    try {
      res = await this.fetchImpl(path, { method, headers, body: payload, credentials: 'same-origin' });
    } catch {
      throw new ApiError(0, 'offline', 'vbx cannot be reached. Check your connection.');
    }
    if (res.status === 204) return undefined as T;
    let data: unknown = null;
    const text = await res.text();
    if (text !== '') {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
      const e = new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? `The server answered ${res.status}.`);
      if (res.status === 401 && path !== '/api/login') this.onUnauthenticated();
      throw e;
    }
    return data as T;
  }

  async login(name: string, password: string): Promise<{ user: { name: string }; csrf: string }> {
    const r = await this.request<{ user: { name: string }; csrf: string }>('POST', '/api/login', { name, password });
    this.csrf = r.csrf;
    return r;
  }

  logout(): Promise<void> {
    return this.request('POST', '/api/logout');
  }

  async session(): Promise<Session> {
    const s = await this.request<Session>('GET', '/api/session');
    this.csrf = s.csrf;
    return s;
  }

  conversations(q: string, before: string | null, view: ConversationView = 'inbox', limit = 50): Promise<Page<Conversation>> {
    return this.request('GET', `/api/conversations?${query({ q: q || null, view: view === 'inbox' ? null : view, before, limit })}`);
  }

  thread(number: string, before: string | null, limit = 50): Promise<ThreadPage> {
    return this.request('GET', `/api/threads/${encodeURIComponent(number)}?${query({ before, limit })}`);
  }

  search(q: string, before: string | null, limit = 30): Promise<Page<SearchHit>> {
    return this.request('GET', `/api/search?${query({ q, before, limit })}`);
  }

  markRead(number: string): Promise<void> {
    return this.request('POST', `/api/threads/${encodeURIComponent(number)}/read`);
  }

  markUnread(number: string): Promise<void> {
    return this.request('POST', `/api/threads/${encodeURIComponent(number)}/unread`);
  }

  markAllRead(): Promise<{ threads: number }> {
    return this.request('POST', '/api/conversations/read');
  }

  setArchived(number: string, archived: boolean): Promise<{ archived: boolean; blocked: boolean }> {
    return this.request(archived ? 'PUT' : 'DELETE', `/api/threads/${encodeURIComponent(number)}/archived`);
  }

  setBlocked(number: string, blocked: boolean): Promise<{ archived: boolean; blocked: boolean }> {
    return this.request(blocked ? 'PUT' : 'DELETE', `/api/threads/${encodeURIComponent(number)}/blocked`);
  }

  newVoicemails(): Promise<{ new: number }> {
    return this.request('GET', '/api/voicemails/new');
  }

  /** The voicemail box, newest first. */
  voicemails(before: string | null, limit = 50): Promise<Page<Voicemail>> {
    return this.request('GET', `/api/voicemails?${query({ before, limit })}`);
  }

  markVoicemailHeard(sid: string): Promise<void> {
    return this.request('POST', `/api/voicemails/${encodeURIComponent(sid)}/heard`);
  }

  /** Deletes a voicemail here; vbx deletes it at Twilio too. */
  deleteVoicemail(sid: string): Promise<void> {
    return this.request('DELETE', `/api/voicemails/${encodeURIComponent(sid)}`);
  }

  blocked(): Promise<{ items: Blocked[] }> {
    return this.request('GET', '/api/blocked');
  }

  calls(filter: { direction?: string; outcome?: string; number?: string }, before: string | null, limit = 50): Promise<Page<CallRecord>> {
    return this.request('GET', `/api/calls?${query({ ...filter, before, limit })}`);
  }

  sendMessage(to: string, body: string, media: File[]): Promise<{ id: number; status: string }> {
    if (media.length === 0) return this.request('POST', '/api/messages', { to, body });
    const form = new FormData();
    form.append('to', to);
    form.append('body', body);
    for (const f of media) form.append('media', f, f.name);
    return this.request('POST', '/api/messages', form);
  }

  /** Drops a text that failed in vbx's outbox (it never reached Twilio). */
  deleteOutbox(id: number): Promise<void> {
    return this.request('DELETE', `/api/outbox/${id}`);
  }

  deleteMessage(sid: string): Promise<void> {
    return this.request('DELETE', `/api/messages/${encodeURIComponent(sid)}`);
  }

  hangupCall(sid: string): Promise<void> {
    return this.request('POST', `/api/calls/${encodeURIComponent(sid)}/hangup`);
  }

  token(): Promise<VoiceToken> {
    return this.request('GET', '/api/token');
  }

  contacts(): Promise<{ items: Contact[] }> {
    return this.request('GET', '/api/contacts');
  }

  addContact(number: string, name: string): Promise<unknown> {
    return this.request('POST', '/api/contacts', { number, name });
  }

  renameContact(number: string, name: string): Promise<unknown> {
    return this.request('PUT', `/api/contacts/${encodeURIComponent(number)}`, { name });
  }

  deleteContact(number: string): Promise<void> {
    return this.request('DELETE', `/api/contacts/${encodeURIComponent(number)}`);
  }

  status(): Promise<Status> {
    return this.request('GET', '/api/status');
  }
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  return q.toString();
}
