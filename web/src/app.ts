// The app controller: boots the session, loads what the current screen shows, applies live events,
// and carries out what the user asks (send, save a contact, search). The UI only reads the store
// and calls these methods.

import { Api, ApiError } from './api';
import {
  applyLiveItem as convLive,
  applyMarks,
  applyName,
  applyPage,
  applyUnread,
  emptyConversations,
} from './conversations';
import { formatNumber, parseNumber } from './format';
import { LiveConnection, type LiveStatus, type SocketLike } from './live';
import { notificationPermission, askNotificationPermission, notify, pageIsWatched, titleFor } from './notify';
import { Phone } from './phone';
import { parseRoute, routePath, type Route } from './router';
import { initialState, Store } from './store';
import {
  applyFirstPage,
  applyLiveItem as threadLive,
  applyOlderPage,
  emptyThread,
  acceptPending,
  failPending,
  itemKey,
  pendingMessage,
} from './thread';
import { MAX_BODY, smsSize } from './sms';
import type { Blocked, Contact, ConversationView, Item, MessageItem, ServerEvent, Session, VoiceConfig } from './types';
import { createVoice } from './voice';
import type { VoiceLayer } from './voice/layer';
import {
  applyNewCount,
  applyVoicemailItem,
  applyVoicemailName,
  applyVoicemailPage,
  dropVoicemail,
  markHeard,
} from './voicemails';

export interface AppDeps {
  api?: Api;
  openSocket?: (url: string) => SocketLike;
  createVoice?: (config: VoiceConfig | undefined) => VoiceLayer;
}

const NOTIFY_WINDOW_MS = 10 * 60_000;
/** How often texts waiting for vbx are tried again while it cannot be reached. */
const WAITING_RETRY_MS = 5_000;
/** How long the first screen waits for the live connection before loading without it. */
const FIRST_SYNC_WAIT_MS = 3_000;

export interface ContactProblem {
  message: string;
  /** The contact the number already belongs to. */
  existing?: Contact;
}

interface WaitingText {
  number: string;
  body: string;
  files: File[];
  /** The id of its pending bubble. */
  local: string;
  /** Waiting for vbx to answer again (sent then by itself), or refused (sent again by Retry). */
  waiting?: boolean;
}

export class App {
  readonly api: Api;
  readonly store: Store;
  readonly phone: Phone;
  private live: LiveConnection | null = null;
  private statusTimer: ReturnType<typeof setInterval> | null = null;
  private toastTimer: ReturnType<typeof setTimeout> | null = null;
  private searchTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Texts vbx has not accepted, by their bubble's id: waiting while vbx cannot be reached (sent
   * when it answers again), or refused on a later try (kept for Retry).
   */
  private unsent = new Map<string, WaitingText>();
  private waitingTimer: ReturnType<typeof setTimeout> | null = null;
  /** The screen's data was loaded once this session (after the live connection's first hello). */
  private synced = false;
  private syncTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly openSocket: (url: string) => SocketLike;
  /** How many `voicemails` frames arrived: tells a stale count answer from a fresh one. */
  private voicemailFrames = 0;
  /** Voicemails this tab is telling vbx it heard (a player fires `play` again and again). */
  private hearing = new Set<string>();

  constructor(deps: AppDeps = {}) {
    this.api = deps.api ?? new Api();
    this.store = new Store(initialState(parseRoute(location.pathname, location.search)));
    this.openSocket = deps.openSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.phone = new Phone({
      api: this.api,
      store: this.store,
      createVoice: deps.createVoice ?? createVoice,
      reportRegistered: (registered) => this.live?.send({ type: 'voice', registered }),
      nameOf: (n) => this.nameOf(n),
      navigate: (path) => this.go(path),
      toast: (text) => this.toast(text),
    });
    this.api.onUnauthenticated = () => this.sessionEnded();
    this.store.subscribe(() => this.syncTitle());
  }

  get state() {
    return this.store.state;
  }

  // ---- boot and session ----

  async boot(): Promise<void> {
    window.addEventListener('popstate', () => this.setRoute(parseRoute(location.pathname, location.search)));
    const onAttention = () => {
      if (document.visibilityState === 'visible') this.phone.recover();
      if (!pageIsWatched()) return;
      this.store.update({ missedWhileAway: 0 });
      this.markOpenThreadRead();
    };
    window.addEventListener('focus', onAttention);
    document.addEventListener('visibilitychange', onAttention);
    window.addEventListener('online', () => {
      this.live?.retryNow();
      this.phone.recover();
      this.flushWaiting();
    });
    this.store.update({ notifications: notificationPermission() });
    try {
      const session = await this.api.session();
      await this.startSession(session);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        this.store.update({ booting: false });
        if (this.state.route.name !== 'login') this.setRoute({ name: 'login', next: routePath(this.state.route) }, true);
      } else {
        this.store.update({ booting: false });
        this.store.setBanner({ key: 'live', tone: 'error', text: `vbx cannot be reached: ${(e as Error).message}`, action: { label: 'Reload', run: () => location.reload() } });
      }
    }
  }

  async login(name: string, password: string): Promise<string | null> {
    try {
      await this.api.login(name, password);
      const session = await this.api.session();
      const route = this.state.route;
      const next = route.name === 'login' && route.next ? parseRoute(...splitPath(route.next)) : { name: 'inbox' as const };
      this.setRoute(next.name === 'login' ? { name: 'inbox' } : next, true);
      await this.startSession(session);
      return null;
    } catch (e) {
      if (e instanceof ApiError) {
        if (e.code === 'bad_credentials') return 'Wrong name or password.';
        if (e.status === 429) return 'Too many attempts. Wait a few minutes, then try again.';
        return e.message;
      }
      return 'Logging in failed. Try again.';
    }
  }

  async logout(): Promise<void> {
    try {
      await this.api.logout();
    } catch {
      // Logging out of a session that is already gone is still logging out.
    }
    this.sessionEnded();
  }

  private async startSession(session: Session): Promise<void> {
    this.store.update({ session, booting: false });
    if (this.state.route.name === 'login') this.setRoute({ name: 'inbox' }, true);
    this.live = new LiveConnection({
      url: wsUrl('/ws'),
      open: this.openSocket,
      onEvent: (ev) => this.onEvent(ev),
      onStatus: (s) => this.onLiveStatus(s),
      onReady: () => {
        this.live?.send({ type: 'voice', registered: this.phone.registered });
        this.flushWaiting();
      },
      onResync: () => {
        if (this.synced) void this.reloadAll();
        else this.firstSync();
      },
      onLoggedOut: () => this.sessionEnded(),
    });
    this.live.start();
    void this.loadContacts();
    void this.loadBlocked();
    void this.loadNewVoicemails();
    void this.loadStatus();
    this.statusTimer = setInterval(() => void this.loadStatus(), 60_000);
    void this.phone.start(session.voice);
    // The screen's data loads once the live connection says where its events start, so that
    // nothing falls between the two and nothing loads twice; without it, after a while anyway.
    this.syncTimer = setTimeout(() => this.firstSync(), FIRST_SYNC_WAIT_MS);
  }

  private firstSync(): void {
    if (this.synced) return;
    this.synced = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    this.loadRoute();
  }

  private sessionEnded(): void {
    if (!this.state.session && this.state.route.name === 'login') return;
    this.live?.stop();
    this.live = null;
    this.synced = false;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    this.phone.stop();
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = null;
    const next = this.state.route.name === 'login' ? undefined : routePath(this.state.route);
    this.store.state = initialState({ name: 'login', next });
    this.store.update({ booting: false, notifications: notificationPermission() });
    history.replaceState(null, '', routePath({ name: 'login', next }));
  }

  // ---- routing ----

  /** Navigates to an app path ("/t/+15551234567"). */
  go(path: string, replace = false): void {
    this.setRoute(parseRoute(...splitPath(path)), replace);
  }

  setRoute(route: Route, replace = false): void {
    const path = routePath(route);
    if (location.pathname + location.search !== path) {
      if (replace) history.replaceState(null, '', path);
      else history.pushState(null, '', path);
    }
    this.store.update({ route });
    if (this.state.session && this.synced) this.loadRoute();
  }

  private loadRoute(): void {
    const route = this.state.route;
    if (route.name === 'inbox' || route.name === 'thread') {
      if (this.state.conversations.loading) void this.loadConversations(false);
    }
    if (route.name === 'thread') void this.openThread(route.number).then(() => (route.find ? this.findInThread(route.number, route.find) : undefined));
    else if (this.state.thread) this.store.update({ thread: null });
    if (route.name === 'calls') void this.loadCalls(false);
    if (route.name === 'voicemail') void this.loadVoicemails(false);
    if (route.name === 'settings') void this.phone.refreshDevices();
  }

  private async reloadAll(): Promise<void> {
    await this.loadConversations(false);
    const t = this.state.thread;
    if (t) await this.openThread(t.number, true);
    if (this.state.route.name === 'calls') await this.loadCalls(false);
    if (this.state.route.name === 'voicemail') await this.loadVoicemails(false);
  }

  // ---- data ----

  nameOf(number: string): string | null {
    return this.state.contacts?.find((c) => c.number === number)?.name ?? null;
  }

  async loadConversations(append: boolean): Promise<void> {
    const c = this.state.conversations;
    if (append && !c.next) return;
    const { query, view } = c;
    if (query !== '' && !append) void this.loadHits(false);
    try {
      const page = await this.api.conversations(query, append ? c.next : null, view);
      if (this.state.conversations.query !== query || this.state.conversations.view !== view) return;
      this.store.update((s) => {
        const conversations = applyPage(s.conversations, page, append);
        const unreadTotal = append || query || view !== 'inbox' ? s.unreadTotal : conversations.items.reduce((n, x) => n + x.unread, 0);
        return { conversations, unreadTotal };
      });
    } catch (e) {
      this.reportLoadError(e);
    }
  }

  /** The texts and voicemails whose words match the current search. */
  async loadHits(append: boolean): Promise<void> {
    const c = this.state.conversations;
    if (c.query.trim() === '' || (append && !c.hitsNext)) return;
    const query = c.query;
    try {
      const page = await this.api.search(query, append ? c.hitsNext : null);
      this.store.update((s) =>
        s.conversations.query !== query
          ? {}
          : { conversations: { ...s.conversations, hits: [...(append ? (s.conversations.hits ?? []) : []), ...page.items], hitsNext: page.next } },
      );
    } catch (e) {
      this.reportLoadError(e);
    }
  }

  search(query: string): void {
    this.store.update({ conversations: { ...emptyConversations(query, this.state.conversations.view), items: this.state.conversations.items } });
    if (this.searchTimer) clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => void this.loadConversations(false), 200);
  }

  /** Shows the inbox or the archive. */
  showView(view: ConversationView): void {
    if (this.state.conversations.view === view && this.state.conversations.query === '') return;
    this.store.update({ conversations: emptyConversations('', view) });
    void this.loadConversations(false);
  }

  async openThread(number: string, force = false): Promise<void> {
    const existing = this.state.thread;
    if (existing && existing.number === number && !force) {
      this.markOpenThreadRead();
      return;
    }
    if (!existing || existing.number !== number) this.store.update({ thread: emptyThread(number, this.nameOf(number)) });
    try {
      const page = await this.api.thread(number, null);
      this.store.update((s) => (s.thread?.number === number ? { thread: applyFirstPage(s.thread, page) } : {}));
      this.markOpenThreadRead();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        // A number with no history yet: an empty thread to write the first message in.
        this.store.update((s) => (s.thread?.number === number ? { thread: { ...s.thread, loading: false } } : {}));
      } else {
        this.reportLoadError(e);
      }
    }
  }

  /**
   * Loads older pages of the open thread until the item `sid` (a search hit) is in it, up to a
   * few thousand items; the thread view then shows it.
   */
  private async findInThread(number: string, sid: string): Promise<void> {
    for (let page = 0; page < 40; page++) {
      const t = this.state.thread;
      if (!t || t.number !== number || t.items.some((i) => i.sid === sid)) return;
      if (!(await this.loadOlder())) return;
    }
  }

  /** Loads the open thread's next older page; false when nothing came (none left, an error). */
  async loadOlder(): Promise<boolean> {
    const t = this.state.thread;
    if (!t || !t.next) return false;
    try {
      const page = await this.api.thread(t.number, t.next);
      this.store.update((s) => (s.thread?.number === t.number ? { thread: applyOlderPage(s.thread, page) } : {}));
      return page.items.length > 0;
    } catch (e) {
      this.reportLoadError(e);
      return false;
    }
  }

  private markOpenThreadRead(): void {
    const t = this.state.thread;
    if (!t || !pageIsWatched()) return;
    const conv = this.state.conversations.items.find((c) => c.number === t.number);
    // Reading also hears the thread's voicemails: while any voicemail is new, this may be its.
    if (conv && conv.unread === 0 && this.state.newVoicemails === 0) return;
    this.api.markRead(t.number).catch(() => {});
    this.store.update((s) => {
      const before = s.conversations.items.find((c) => c.number === t.number)?.unread ?? 0;
      return {
        conversations: applyUnread(s.conversations, t.number, 0),
        unreadTotal: Math.max(0, s.unreadTotal - before),
      };
    });
  }

  async loadCalls(append: boolean): Promise<void> {
    const log = this.state.callLog;
    if (append && !log.next) return;
    const filter = log.filter;
    try {
      const page = await this.api.calls(filter, append ? log.next : null);
      this.store.update((s) => {
        if (s.callLog.filter !== filter) return {};
        const items = append ? [...s.callLog.items, ...page.items] : page.items;
        return { callLog: { ...s.callLog, items, next: page.next, loading: false } };
      });
    } catch (e) {
      this.reportLoadError(e);
    }
  }

  /** The voicemail box's first page, or (`append`) its next. */
  async loadVoicemails(append: boolean): Promise<void> {
    const box = this.state.voicemails;
    if (append && !box.next) return;
    try {
      const page = await this.api.voicemails(append ? box.next : null);
      this.store.update((s) => ({ voicemails: applyVoicemailPage(s.voicemails, page, append) }));
    } catch (e) {
      this.reportLoadError(e);
    }
  }

  /** Whether voicemail `sid` is known here and not heard yet (in the box, the thread or the call log). */
  private isNewVoicemail(sid: string): boolean {
    const s = this.state;
    return (
      s.voicemails.items.some((v) => v.sid === sid && !v.heard) ||
      (s.thread?.items.some((i) => i.kind === 'voicemail' && i.sid === sid && !i.heard) ?? false) ||
      s.callLog.items.some((c) => c.recording?.sid === sid && !c.recording.heard)
    );
  }

  /** Marks a voicemail heard (playing it does too): here at once, then at vbx, which tells every tab. */
  async markHeard(sid: string): Promise<void> {
    if (!this.isNewVoicemail(sid) || this.hearing.has(sid)) return;
    this.hearing.add(sid);
    this.store.update((s) => ({
      voicemails: markHeard(s.voicemails, sid),
      thread: s.thread && { ...s.thread, items: s.thread.items.map((i) => (i.kind === 'voicemail' && i.sid === sid ? { ...i, heard: true } : i)) },
      callLog: { ...s.callLog, items: s.callLog.items.map((c) => (c.recording?.sid === sid ? { ...c, recording: { ...c.recording, heard: true } } : c)) },
      newVoicemails: Math.max(0, s.newVoicemails - 1),
    }));
    try {
      await this.api.markVoicemailHeard(sid);
    } catch (e) {
      this.reportLoadError(e);
      void this.loadNewVoicemails();
    } finally {
      this.hearing.delete(sid);
    }
  }

  /** Deletes a voicemail here and (vbx does it) at Twilio. */
  async deleteVoicemail(sid: string): Promise<void> {
    const wasNew = this.isNewVoicemail(sid);
    try {
      await this.api.deleteVoicemail(sid);
    } catch (e) {
      this.toast((e as Error).message);
      return;
    }
    this.dropVoicemail(sid);
    if (wasNew) this.store.update((s) => ({ newVoicemails: Math.max(0, s.newVoicemails - 1) }));
    this.toast('Voicemail deleted');
  }

  /** A voicemail is gone: from the box, its thread and its call's row. */
  private dropVoicemail(sid: string): void {
    this.store.update((s) => ({
      voicemails: dropVoicemail(s.voicemails, sid),
      thread: s.thread && { ...s.thread, items: s.thread.items.filter((i) => !(i.kind === 'voicemail' && i.sid === sid)) },
      callLog: { ...s.callLog, items: s.callLog.items.map((c) => (c.recording?.sid === sid ? { ...c, recording: null } : c)) },
    }));
  }

  filterCalls(filter: { direction: string; outcome: string }): void {
    this.store.update((s) => ({ callLog: { ...s.callLog, filter, loading: true } }));
    void this.loadCalls(false);
  }

  async hangupRemote(sid: string): Promise<void> {
    try {
      await this.api.hangupCall(sid);
      this.toast('Hanging up…');
    } catch (e) {
      this.toast((e as Error).message);
    }
  }

  async loadContacts(): Promise<void> {
    try {
      const r = await this.api.contacts();
      this.setContacts(r.items);
    } catch (e) {
      this.reportLoadError(e);
    }
  }

  private async loadBlocked(): Promise<void> {
    try {
      const r = await this.api.blocked();
      this.store.update({ blocked: r.items });
    } catch (e) {
      this.reportLoadError(e);
    }
  }

  private async loadNewVoicemails(): Promise<void> {
    const seen = this.voicemailFrames;
    try {
      const r = await this.api.newVoicemails();
      // A `voicemails` frame that came while this was asked is newer than this answer.
      if (seen === this.voicemailFrames) this.store.update({ newVoicemails: r.new });
    } catch (e) {
      this.reportLoadError(e);
    }
  }

  isBlocked(number: string): boolean {
    return this.state.blocked?.some((b) => b.number === number) ?? false;
  }

  /**
   * Leaves the thread and marks it unread. Leaving comes first: an open thread is read as soon
   * as it is seen, so the `unread` frame arriving while it is still open would read it again.
   */
  async markUnread(number: string): Promise<void> {
    this.go('/');
    try {
      await this.api.markUnread(number);
    } catch (e) {
      this.toast(e instanceof ApiError && e.status === 409 ? 'Only a conversation with a text from them can be marked unread.' : (e as Error).message);
    }
  }

  async markAllRead(): Promise<void> {
    try {
      const r = await this.api.markAllRead();
      this.store.update((s) => ({
        conversations: { ...s.conversations, items: s.conversations.items.map((c) => ({ ...c, unread: 0 })) },
        unreadTotal: 0,
        newVoicemails: 0,
        voicemails: applyNewCount(s.voicemails, 0).state,
      }));
      this.toast(r.threads === 1 ? '1 conversation marked read' : `${r.threads} conversations marked read`);
    } catch (e) {
      this.toast((e as Error).message);
    }
  }

  async setArchived(number: string, archived: boolean): Promise<void> {
    try {
      const marks = await this.api.setArchived(number, archived);
      this.applyMarks(number, marks);
    } catch (e) {
      this.toast((e as Error).message);
      return;
    }
    if (archived) {
      this.go('/');
      this.toast('Conversation archived. It comes back when something new arrives.');
    } else {
      this.toast('Moved to the inbox');
    }
  }

  async setBlocked(number: string, blocked: boolean): Promise<void> {
    try {
      const marks = await this.api.setBlocked(number, blocked);
      this.applyMarks(number, marks);
    } catch (e) {
      this.toast((e as Error).message);
      return;
    }
    const who = this.nameOf(number) ?? formatNumber(number, this.state.session?.number);
    this.toast(blocked ? `${who} is blocked` : `${who} is unblocked`);
  }

  /** A conversation's marks as they are now, wherever it shows. */
  private applyMarks(number: string, marks: { archived: boolean; blocked: boolean }): void {
    const listed = applyMarks(this.state.conversations, number, marks);
    this.store.update((s) => ({
      thread: s.thread?.number === number ? { ...s.thread, ...marks } : s.thread,
      conversations: listed ?? s.conversations,
      blocked: s.blocked && blockedList(s.blocked, number, marks.blocked, this.nameOf(number)),
    }));
    if (!listed) void this.loadConversations(false);
  }

  private setContacts(contacts: Contact[]): void {
    const sorted = [...contacts].sort((a, b) => a.name.localeCompare(b.name));
    this.store.update({ contacts: sorted });
  }

  private async loadStatus(): Promise<void> {
    try {
      const status = await this.api.status();
      this.store.update({ status });
      if (!status.twilio.reachable) {
        const why = status.twilio.last_error ? `: ${status.twilio.last_error}` : '.';
        this.store.setBanner({ key: 'twilio', tone: 'error', text: `Twilio is unreachable${why} Texts wait in the outbox and are sent when it is back.` });
      } else if (this.phone.registered || this.state.voice.status === 'off') {
        this.store.clearBanner('twilio');
      }
    } catch {
      // The status is advisory; failures to reach vbx show through the connection banner.
    }
  }

  private reportLoadError(e: unknown): void {
    if (e instanceof ApiError && (e.status === 401 || e.offline)) return;
    this.toast(e instanceof Error ? e.message : 'Something went wrong.');
  }

  // ---- actions ----

  /** Sends a text (and pictures); returns an error message or null. */
  /**
   * Sends a text. Resolves with null once vbx accepted it (or, while vbx cannot be reached, once
   * it waits in this tab to go out when vbx is back); with the reason if vbx refused it, in which
   * case nothing was sent and the caller keeps what was typed.
   */
  async send(to: string, body: string, files: File[]): Promise<string | null> {
    const own = this.state.session?.number ?? '+1';
    const number = parseNumber(to, own) ?? to;
    if (body.trim() === '' && files.length === 0) return 'Write something or attach a picture.';
    if (smsSize(body).characters > MAX_BODY) return `A text can have at most ${MAX_BODY.toLocaleString('en-US')} characters.`;
    const tooBig = files.find((f) => f.size > 5 * 1024 * 1024);
    if (tooBig) return `${tooBig.name} is larger than 5 MB.`;
    if (files.length > 10) return 'At most 10 pictures per message.';
    const pending = pendingMessage(body, Date.now(), files.map((f) => URL.createObjectURL(f)));
    this.store.update((s) => ({
      thread: s.thread?.number === number ? threadLive(s.thread, pending) : s.thread,
      conversations: convLive(s.conversations, number, pending, (n) => this.nameOf(n)),
    }));
    return this.post({ number, body, files, local: pending.sid as string }, 'withdraw');
  }

  /**
   * Sends again a text that failed. One that vbx never accepted goes again as it was (pictures
   * included) in place of its bubble; one that Twilio failed stays in the history, and a new text
   * with its words goes out.
   */
  async retry(item: MessageItem): Promise<void> {
    const number = this.state.thread?.number;
    if (!number) return;
    const unsent = item.sid ? this.unsent.get(item.sid) : undefined;
    if (unsent) {
      await this.post(unsent, 'mark');
      return;
    }
    const err = await this.send(number, item.body, []);
    if (err) this.toast(err);
  }

  /** Removes a failed or waiting text: here, and at Twilio or in vbx's outbox. */
  async discard(item: MessageItem): Promise<void> {
    try {
      if (item.sid && !item.pending) await this.api.deleteMessage(item.sid);
      else if (item.outbox_id != null) await this.api.deleteOutbox(item.outbox_id);
    } catch (e) {
      this.toast((e as Error).message);
      return;
    }
    if (item.sid) this.unsent.delete(item.sid);
    this.forget(item);
    this.toast('Message deleted');
  }

  private forget(item: MessageItem): void {
    const key = itemKey(item);
    this.store.update((s) => (s.thread ? { thread: { ...s.thread, items: s.thread.items.filter((i) => itemKey(i) !== key) } } : {}));
  }

  /**
   * POSTs a text shown as pending bubble `send.local`. A refusal either withdraws the bubble
   * (the composer still holds the text) or marks it failed (a retry or a text that waited).
   */
  private async post(send: WaitingText, onRefusal: 'withdraw' | 'mark'): Promise<string | null> {
    const { number, local } = send;
    const mark = (patch: Partial<MessageItem>) =>
      this.store.update((s) =>
        s.thread?.number === number
          ? { thread: { ...s.thread, items: s.thread.items.map((i) => (i.kind === 'message' && i.sid === local ? { ...i, ...patch } : i)) } }
          : {},
      );
    mark({ status: 'queued', error: null });
    try {
      const accepted = await this.api.sendMessage(number, send.body, send.files);
      this.unsent.delete(local);
      this.store.update((s) => (s.thread?.number === number ? { thread: acceptPending(s.thread, local, accepted.id) } : {}));
      return null;
    } catch (e) {
      if (e instanceof ApiError && e.offline) {
        // Kept in this tab and sent when vbx answers again (the live connection reopens).
        this.unsent.set(local, { ...send, waiting: true });
        mark({ status: 'waiting', error: null });
        this.retryWaitingLater();
        return null;
      }
      const why = e instanceof Error ? e.message : 'Sending failed.';
      if (onRefusal === 'mark') {
        this.unsent.set(local, { ...send, waiting: false });
        this.store.update((s) => (s.thread?.number === number ? { thread: failPending(s.thread, local, why) } : {}));
      } else {
        this.unsent.delete(local);
        this.store.update((s) => (s.thread?.number === number ? { thread: { ...s.thread, items: s.thread.items.filter((i) => !(i.kind === 'message' && i.sid === local)) } } : {}));
      }
      return why;
    }
  }

  /** Sends what waited in this tab for vbx, oldest first. */
  private flushWaiting(): void {
    if (this.waitingTimer) clearTimeout(this.waitingTimer);
    this.waitingTimer = null;
    const waiting = [...this.unsent.values()].filter((w) => w.waiting);
    for (const w of waiting) this.unsent.set(w.local, { ...w, waiting: false });
    void (async () => {
      for (const w of waiting) await this.post(w, 'mark');
    })();
  }

  /**
   * Tries the waiting texts again in a while: the live connection may have outlived the outage
   * (no reconnect to wait for), or the browser may not say when it is back online.
   */
  private retryWaitingLater(): void {
    if (this.waitingTimer) return;
    this.waitingTimer = setTimeout(() => {
      this.waitingTimer = null;
      this.flushWaiting();
    }, WAITING_RETRY_MS);
  }

  async deleteMessage(sid: string): Promise<void> {
    try {
      await this.api.deleteMessage(sid);
      this.dropMessage(sid);
      this.toast('Message deleted');
    } catch (e) {
      this.toast((e as Error).message);
    }
  }

  private dropMessage(sid: string): void {
    this.store.update((s) => (s.thread ? { thread: { ...s.thread, items: s.thread.items.filter((i) => !(i.kind === 'message' && i.sid === sid)) } } : {}));
  }

  /** A contact's name as it is now (`null`: no longer a contact), wherever it shows. */
  private applyContact(number: string, name: string | null): void {
    const others = (this.state.contacts ?? []).filter((c) => c.number !== number);
    this.setContacts(name === null ? others : [...others, { number, name }]);
    this.store.update((s) => ({
      conversations: applyName(s.conversations, number, name),
      thread: s.thread?.number === number ? { ...s.thread, name } : s.thread,
      voicemails: applyVoicemailName(s.voicemails, number, name),
    }));
  }

  /**
   * Adds or renames a contact; returns null, or what went wrong. Adding a number that already
   * is a contact renames nothing: the problem names that contact, so the page can offer to.
   */
  async saveContact(number: string, name: string, isNew: boolean): Promise<ContactProblem | null> {
    const own = this.state.session?.number ?? '+1';
    const clean = name.trim();
    if (clean === '') return { message: 'Enter a name.' };
    const e164 = isNew ? parseNumber(number, own) : number;
    if (!e164) return { message: 'That does not look like a phone number.' };
    const taken = (existing: string): ContactProblem => ({
      message: `${formatNumber(e164, own)} is already saved as ${existing}.`,
      existing: { number: e164, name: existing },
    });
    const known = this.nameOf(e164);
    if (isNew && known) return taken(known);
    try {
      if (isNew) await this.api.addContact(e164, clean);
      else await this.api.renameContact(e164, clean);
    } catch (e) {
      if (isNew && e instanceof ApiError && e.status === 409) {
        await this.loadContacts();
        return taken(this.nameOf(e164) ?? 'another contact');
      }
      return { message: e instanceof Error ? e.message : 'Saving failed.' };
    }
    this.applyContact(e164, clean);
    this.toast(isNew ? 'Contact saved' : 'Contact renamed');
    return null;
  }

  async deleteContact(number: string): Promise<string | null> {
    try {
      await this.api.deleteContact(number);
    } catch (e) {
      return e instanceof Error ? e.message : 'Deleting failed.';
    }
    this.applyContact(number, null);
    this.toast('Contact deleted');
    return null;
  }

  async enableNotifications(): Promise<void> {
    this.store.update({ notifications: await askNotificationPermission() });
  }

  retryConnection(): void {
    this.live?.retryNow();
  }

  toast(text: string): void {
    this.store.update({ toast: text });
    if (this.toastTimer) clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => this.store.update({ toast: null }), 4000);
  }

  // ---- live events ----

  private onLiveStatus(status: LiveStatus): void {
    this.store.update({ live: status });
    if (status.status === 'open') {
      this.store.clearBanner('live');
    } else if (status.status === 'waiting') {
      this.store.setBanner({ key: 'live', tone: 'warning', text: 'Connection to vbx lost. Reconnecting…', action: { label: 'Retry now', run: () => this.retryConnection() } });
      // A socket that keeps failing may mean the session expired: ask the API, which says 401.
      if (status.attempt >= 2) this.api.session().catch(() => {});
    }
  }

  /** A thread's unread count changed (and with it, when given, the total). */
  private onUnread(number: string, unread: number, total: number | undefined): void {
    this.store.update((s) => ({
      conversations: applyUnread(s.conversations, number, unread),
      unreadTotal: typeof total === 'number' ? total : s.unreadTotal,
    }));
    if (this.state.thread?.number === number && unread > 0) this.markOpenThreadRead();
  }

  private onEvent(ev: ServerEvent): void {
    switch (ev.type) {
      case 'message':
        this.onItem(ev.number, ev.item);
        if (typeof ev.unread === 'number') this.onUnread(ev.number, ev.unread, ev.total);
        return;
      case 'call':
        this.onItem(ev.number, ev.item);
        return;
      case 'voicemail': {
        this.onItem(ev.number, ev.item);
        const name = this.nameOf(ev.number);
        this.store.update((s) => ({ voicemails: applyVoicemailItem(s.voicemails, ev.item, ev.number, name) }));
        // A heard one comes with its count (a `voicemails` frame); a new one without.
        if (!ev.item.heard) void this.loadNewVoicemails();
        return;
      }
      case 'voicemails': {
        this.voicemailFrames += 1;
        const { state: voicemails, reload } = applyNewCount(this.state.voicemails, ev.new);
        this.store.update({ newVoicemails: ev.new, voicemails });
        if (reload && this.state.route.name === 'voicemail') void this.loadVoicemails(false);
        return;
      }
      case 'unread':
        this.onUnread(ev.number, ev.unread, ev.total);
        return;
      case 'deleted':
        // Deleted in another tab: gone here too.
        if (ev.kind === 'voicemail') this.dropVoicemail(ev.sid);
        else if (ev.sid) this.dropMessage(ev.sid);
        else if (ev.outbox_id != null) this.forget({ kind: 'message', sid: null, outbox_id: ev.outbox_id } as MessageItem);
        void this.loadConversations(false);
        return;
      case 'contact':
        this.applyContact(ev.number, ev.name);
        return;
      case 'marks':
        this.applyMarks(ev.number, ev);
        return;
      case 'presence':
        this.store.update((s) =>
          s.status
            ? { status: { ...s.status, devices: s.status.devices.map((d) => ({ ...d, online: ev.devices.find((x) => x.name === d.name)?.online ?? d.online })) } }
            : {},
        );
        return;
      default:
        return;
    }
  }

  private onItem(number: string, item: Item): void {
    // A voicemail someone heard is no news.
    const known = (this.state.thread?.items.some((i) => i.kind === item.kind && i.sid === item.sid) ?? false) || (item.kind === 'voicemail' && item.heard);
    // A blocked number's calls change status after they are rejected: its open thread shows
    // it, but nothing lists or announces it.
    const blocked = this.isBlocked(number);
    this.store.update((s) => ({
      thread: s.thread?.number === number ? threadLive(s.thread, item) : s.thread,
      conversations: blocked ? s.conversations : convLive(s.conversations, number, item, (n) => this.nameOf(n)),
    }));
    if (blocked) return;
    if (this.state.route.name === 'calls' && item.kind !== 'message') void this.loadCalls(false);
    const fresh = !known && Date.now() - item.at < NOTIFY_WINDOW_MS;
    if (!fresh) return;
    const who = this.nameOf(number) ?? formatNumber(number, this.state.session?.number);
    const open = () => this.setRoute({ name: 'thread', number });
    if (item.kind === 'message' && item.direction === 'inbound') {
      notify(who, item.body || 'Picture', `msg-${number}`, open);
    } else if (item.kind === 'voicemail') {
      notify(`Voicemail from ${who}`, item.transcription ?? 'New voicemail', `vm-${item.sid}`, open);
    } else if (item.kind === 'call' && item.direction === 'inbound' && ['missed', 'busy'].includes(item.outcome)) {
      // A call that left a voicemail counts as that voicemail (new until heard), not twice.
      if (!pageIsWatched()) this.store.update((s) => ({ missedWhileAway: s.missedWhileAway + 1 }));
    }
    if (item.kind === 'message' && item.direction === 'inbound' && this.state.thread?.number === number) {
      this.markOpenThreadRead();
    }
  }

  private syncTitle(): void {
    const s = this.state;
    const ringing = s.incoming[0];
    const title = titleFor('vbx', {
      badge: s.unreadTotal + s.missedWhileAway + s.newVoicemails,
      ringing: ringing ? (this.nameOf(ringing.from) ?? formatNumber(ringing.from, s.session?.number)) : null,
    });
    if (document.title !== title) document.title = title;
  }
}

/** The blocked numbers with `number` blocked or not, newest block first. */
function blockedList(list: Blocked[], number: string, blocked: boolean, name: string | null): Blocked[] {
  const others = list.filter((b) => b.number !== number);
  if (!blocked) return others;
  return list.length === others.length ? [{ number, name, at: Date.now() }, ...others] : list;
}

function splitPath(path: string): [string, string] {
  const i = path.indexOf('?');
  return i < 0 ? [path, ''] : [path.slice(0, i), path.slice(i)];
}

/** `ws(s)://<this host><path>` */
export function wsUrl(path: string, base: string = location.href): string {
  const u = new URL(path, base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}
