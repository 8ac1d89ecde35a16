// One conversation: messages as bubbles with times and delivery status, pictures inline, calls and
// voicemails in between, saving an unknown number as a contact, and the composer.

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { callPath, callText } from '../calls';
import { displayName, formatClock, formatDuration, formatFull, formatNumber } from '../format';
import { MAX_BODY, smsSize } from '../sms';
import { displayOrder, itemKey } from '../thread';
import type { CallItem, Item, MessageItem, VoicemailItem } from '../types';
import { transcriptText } from '../voicemails';
import { useApp } from './context';
import { Icon } from './icons';
import { LinkedText } from './text';

export function Thread() {
  const { app, state } = useApp();
  const thread = state.thread;
  const own = state.session?.number ?? '+1';
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const lastNumber = useRef<string | null>(null);
  const [saving, setSaving] = useState(false);
  /** While older items load: where the view was, to keep the same messages in view after. */
  const older = useRef<{ height: number; top: number } | null>(null);
  const newest = useRef<string | null>(null);
  const [unseen, setUnseen] = useState(false);
  const items = thread ? displayOrder(thread) : [];
  /** A search hit to show: scrolled to once it is loaded, and marked. */
  const find = state.route.name === 'thread' ? (state.route.find ?? null) : null;
  const shown = useRef<string | null>(null);
  const last = items.length > 0 ? itemKey(items[items.length - 1] as Item) : null;

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || !thread) return;
    if (lastNumber.current !== thread.number) {
      lastNumber.current = thread.number;
      stick.current = true;
      newest.current = null;
      setSaving(false);
      setUnseen(false);
    }
    const kept = older.current;
    if (kept && el.scrollHeight !== kept.height) {
      // Older items went in above: the ones the user was reading stay where they were.
      el.scrollTop = kept.top + (el.scrollHeight - kept.height);
      older.current = null;
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight;
    } else if (last !== newest.current && newest.current !== null) {
      setUnseen(true);
    }
    newest.current = last;
  });

  useEffect(() => {
    if (!find || shown.current === find) return;
    const el = scroller.current?.querySelector(`[data-sid="${CSS.escape(find)}"]`);
    if (!el) return;
    shown.current = find;
    stick.current = false;
    el.scrollIntoView({ block: 'center' });
  });

  if (!thread) return <div class="empty">Choose a conversation.</div>;
  const name = app.nameOf(thread.number) ?? thread.name;
  const title = displayName(thread.number, name, own);

  const loadOlder = () => {
    const el = scroller.current;
    if (!el || !thread.next || older.current) return;
    older.current = { height: el.scrollHeight, top: el.scrollTop };
    stick.current = false;
    void app.loadOlder().then((loaded) => {
      // Nothing came (an error): the place needs no keeping.
      if (!loaded) older.current = null;
    });
  };

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (stick.current) setUnseen(false);
    if (el.scrollTop < 300) loadOlder();
  };

  const toNewest = () => {
    const el = scroller.current;
    stick.current = true;
    setUnseen(false);
    if (el) el.scrollTop = el.scrollHeight;
  };

  return (
    <section class="thread" aria-label={`Conversation with ${title}`}>
      <header class="thread-head">
        <button class="btn icon ghost back" type="button" aria-label="Back to conversations" onClick={() => app.go('/')}>
          <Icon name="back" />
        </button>
        <div class="grow">
          <h2 class="ellipsis" id="thread-title">{title}</h2>
          {name && <div class="sub">{formatNumber(thread.number, own)}</div>}
        </div>
        {!name && (
          <button class="btn" type="button" aria-expanded={saving} onClick={() => setSaving(!saving)}>
            <Icon name="person" /> Save contact
          </button>
        )}
        <button class="btn icon" type="button" aria-label={`Call ${title}`} title="Call" onClick={() => void callNumber(app, thread.number)}>
          <Icon name="phone" />
        </button>
        <ThreadMenu number={thread.number} title={title} archived={thread.archived} blocked={thread.blocked} />
      </header>
      {saving && <SaveContact number={thread.number} onDone={() => setSaving(false)} />}
      {thread.blocked && (
        <div class="thread-note" role="status">
          <span class="grow">Blocked: calls from this number are rejected and its texts notify nobody.</span>
          <button class="btn" type="button" onClick={() => void app.setBlocked(thread.number, false)}>
            Unblock
          </button>
        </div>
      )}
      <div class="items" ref={scroller} onScroll={onScroll} role="log" aria-live="polite" aria-busy={thread.loading}>
        {thread.next && (
          <button class="btn" style="align-self:center" type="button" onClick={loadOlder}>
            Earlier messages
          </button>
        )}
        {!thread.loading && items.length === 0 && <div class="empty">No messages yet. Say hello.</div>}
        {items.map((item, i) => (
          <ItemView key={itemKey(item)} item={item} prev={items[i - 1]} found={find !== null && item.sid === find} />
        ))}
      </div>
      {unseen && (
        <button class="btn primary new-pill" type="button" onClick={toNewest}>
          New messages ↓
        </button>
      )}
      {/* Keyed: another thread gets a new, empty composer. (Clearing it in an effect also
          cleared what was typed before the effect first ran, right after the thread opened.) */}
      <Composer key={thread.number} number={thread.number} onSent={() => { stick.current = true; }} />
    </section>
  );
}

/** What can be done with the whole conversation: unread, archive, block. */
function ThreadMenu({ number, title, archived, blocked }: { number: string; title: string; archived: boolean; blocked: boolean }) {
  const { app } = useApp();
  const [open, setOpen] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('pointerdown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);
  const act = (run: () => Promise<void>) => () => {
    setOpen(false);
    void run();
  };
  return (
    <div class="menu-wrap" ref={wrap}>
      <button class="btn icon ghost" type="button" aria-label="More actions" title="More" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        <Icon name="more" />
      </button>
      {open && (
        <ul class="menu" role="menu" aria-label={`Conversation with ${title}`}>
          <li role="none">
            <button type="button" role="menuitem" onClick={act(() => app.markUnread(number))}>
              Mark unread
            </button>
          </li>
          <li role="none">
            <button type="button" role="menuitem" onClick={act(() => app.setArchived(number, !archived))}>
              {archived ? 'Move to inbox' : 'Archive'}
            </button>
          </li>
          <li role="none">
            <button
              type="button"
              role="menuitem"
              onClick={act(async () => {
                if (blocked || confirm(`Block ${title}? Their calls will be rejected and their texts will not notify you.`)) await app.setBlocked(number, !blocked);
              })}
            >
              {blocked ? 'Unblock number' : 'Block number'}
            </button>
          </li>
        </ul>
      )}
    </div>
  );
}

async function callNumber(app: ReturnType<typeof useApp>['app'], number: string): Promise<void> {
  const err = await app.phone.dial(number);
  if (err) app.toast(err);
}

function dayLabel(at: number): string {
  return new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' }).format(at);
}

function ItemView({ item, prev, found }: { item: Item; prev: Item | undefined; found: boolean }) {
  const newDay = !prev || new Date(prev.at).toDateString() !== new Date(item.at).toDateString();
  return (
    <>
      {newDay && <div class="day">{dayLabel(item.at)}</div>}
      {item.kind === 'message' ? <Message m={item} found={found} /> : item.kind === 'call' ? <Call c={item} /> : <Voicemail v={item} found={found} />}
    </>
  );
}

const STATUS_TEXT: Record<string, string> = {
  waiting: 'Waiting for vbx to be reachable…',
  accepted: 'Sending…', scheduled: 'Scheduled', queued: 'Sending…', sending: 'Sending…', sent: 'Sent',
  delivered: 'Delivered', read: 'Read', undelivered: 'Not delivered', failed: 'Failed', canceled: 'Canceled',
};

function Message({ m, found }: { m: MessageItem; found: boolean }) {
  const { app } = useApp();
  const out = m.direction === 'outbound';
  const failed = m.status === 'failed' || m.status === 'undelivered';
  const status = out ? (STATUS_TEXT[m.status] ?? m.status) : null;
  return (
    <div
      class={`msg ${out ? 'out' : 'in'}${failed ? ' failed' : ''}${found ? ' found' : ''}`}
      data-sid={m.sid ?? undefined}
      data-outbox={m.outbox_id ?? undefined}
      aria-current={found ? 'true' : undefined}
    >
      {m.media.length > 0 && (
        <div class="pics">
          {m.media.map((media, i) =>
            media.content_type.startsWith('image/') && media.url ? (
              <a key={i} href={media.url} target="_blank" rel="noopener noreferrer">
                <img src={media.url} alt={`Picture ${i + 1}`} loading="lazy" />
              </a>
            ) : (
              <a key={i} class="btn" href={media.url || undefined} target="_blank" rel="noopener noreferrer">
                Attachment {i + 1} ({media.content_type})
              </a>
            ),
          )}
        </div>
      )}
      {m.body !== '' && (
        <div class="bubble">
          <LinkedText text={m.body} />
        </div>
      )}
      <div class="meta">
        <time dateTime={new Date(m.at).toISOString()} title={formatFull(m.at)}>
          {formatClock(m.at)}
        </time>
        {status && <span class={failed ? 'failed' : undefined}>· {status}{m.error ? `: ${m.error}` : ''}</span>}
        {m.blocked && <span>· Blocked</span>}
      </div>
      {out && (failed || m.status === 'waiting') && (
        <div class="msg-actions">
          <button class="btn" type="button" onClick={() => void app.retry(m)}>
            Retry
          </button>
          <button class="btn ghost" type="button" onClick={() => void app.discard(m)}>
            Delete
          </button>
        </div>
      )}
      {!m.pending && m.sid && !failed && (
        <button
          class="btn icon ghost del"
          type="button"
          aria-label="Delete message"
          title="Delete message"
          onClick={() => {
            if (m.sid && confirm('Delete this message here and at Twilio?')) void app.deleteMessage(m.sid);
          }}
        >
          <Icon name="trash" />
        </button>
      )}
    </div>
  );
}

function Call({ c }: { c: CallItem }) {
  const { state } = useApp();
  const { text, missed } = callText(c, state.status?.devices, state.session?.number);
  const event = (
    <div class={`event${missed ? ' missed' : ''}`} data-sid={c.call_recording || callPath(c.path) ? undefined : c.sid}>
      <Icon name={c.direction === 'inbound' ? 'incoming' : 'outgoing'} />
      <span>{text}</span>
      <time dateTime={new Date(c.at).toISOString()} title={formatFull(c.at)}>
        {formatClock(c.at)}
      </time>
    </div>
  );
  const path = callPath(c.path);
  if (!c.call_recording && !path) return event;
  return (
    <div class="call-recorded" data-sid={c.sid}>
      {event}
      {path && <CallPath text={path} />}
      {c.call_recording && <CallRecording r={c.call_recording} />}
    </div>
  );
}

/** What a call went through in the flows, in small print under it. */
export function CallPath({ text }: { text: string }) {
  return (
    <div class="call-path muted" title="What the call went through">
      {text}
    </div>
  );
}

/** The player of a call's own recording (a recorded `<Dial>`). */
export function CallRecording({ r }: { r: NonNullable<CallItem['call_recording']> }) {
  return <audio controls preload="none" src={r.url} aria-label={`Recording of the call${r.duration != null ? ` (${formatDuration(r.duration)})` : ''}`} />;
}

/** A voicemail's transcript: its words, "Transcribing…" while they come, or that there are none. */
export function Transcript({ v, now = Date.now() }: { v: Pick<VoicemailItem, 'transcription' | 'transcription_status' | 'at'>; now?: number }) {
  const t = transcriptText(v, now);
  return <div class={`transcript${t.waiting || t.missing ? ' muted' : ''}`}>{t.text}</div>;
}

/** A voicemail's player and transcript; playing it hears it. */
export function VoicemailPlayer({ v }: { v: Omit<VoicemailItem, 'kind'> }) {
  const { app } = useApp();
  return (
    <>
      <audio controls preload="none" src={v.url} aria-label="Voicemail recording" onPlay={() => void app.markHeard(v.sid)} />
      <Transcript v={v} />
    </>
  );
}

function Voicemail({ v, found }: { v: VoicemailItem; found: boolean }) {
  return (
    <div class={`voicemail${found ? ' found' : ''}`} data-sid={v.sid} aria-current={found ? 'true' : undefined}>
      <div class="meta">
        <Icon name="voicemail" />
        <strong>Voicemail{v.duration ? ` · ${formatDuration(v.duration)}` : ''}</strong>
        <time dateTime={new Date(v.at).toISOString()}>{formatClock(v.at)}</time>
      </div>
      <VoicemailPlayer v={v} />
    </div>
  );
}

function SaveContact({ number, onDone }: { number: string; onDone: () => void }) {
  const { app } = useApp();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const err = await app.saveContact(number, name, true);
    if (err) setError(err.message);
    else onDone();
  };
  return (
    <form class="save-form" onSubmit={submit}>
      <label class="grow">
        <span class="sr-only">Contact name</span>
        <input class="input" placeholder="Name" autoFocus value={name} onInput={(e) => setName(e.currentTarget.value)} />
        {error && <p class="error-text" role="alert">{error}</p>}
      </label>
      <button class="btn primary" type="submit">Save</button>
      <button class="btn ghost" type="button" onClick={onDone}>Cancel</button>
    </form>
  );
}

/** The pictures vbx sends by MMS (what `POST /api/messages` accepts). */
const SENDABLE = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

interface Attachment {
  file: File;
  url: string;
}

export function Composer({ number, onSent }: { number: string; onSent: () => void }) {
  const { app } = useApp();
  const [text, setText] = useState('');
  const [files, setFiles] = useState<Attachment[]>([]);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);

  useLayoutEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight + 2, 160)}px`;
  }, [text]);

  const [busy, setBusy] = useState(false);
  const size = smsSize(text);
  const tooLong = size.characters > MAX_BODY;

  // What was typed stays until vbx accepted the text: a refusal leaves it here to fix or resend.
  const send = async () => {
    if ((text.trim() === '' && files.length === 0) || busy || tooLong) return;
    setBusy(true);
    setError(null);
    onSent();
    const err = await app.send(number, text, files.map((f) => f.file));
    setBusy(false);
    if (err) {
      setError(err);
    } else {
      setText('');
      setFiles([]);
    }
    input.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    }
  };

  const addFiles = (list: FileList | null) => {
    if (!list) return;
    const added = [...list].filter((f) => SENDABLE.includes(f.type)).map((file) => ({ file, url: URL.createObjectURL(file) }));
    if (added.length < list.length) setError('Only JPEG, PNG, GIF and WebP pictures can be sent by MMS.');
    setFiles((f) => [...f, ...added].slice(0, 10));
  };

  return (
    <form class="composer" onSubmit={(e) => { e.preventDefault(); void send(); }}>
      {files.length > 0 && (
        <div class="attachments">
          {files.map((f, i) => (
            <figure key={f.url}>
              <img src={f.url} alt={f.file.name} />
              <button class="btn" type="button" aria-label={`Remove ${f.file.name}`} onClick={() => setFiles(files.filter((_, j) => j !== i))}>
                ×
              </button>
            </figure>
          ))}
        </div>
      )}
      <div class="bar">
        <button class="btn icon ghost" type="button" aria-label="Attach a picture" title="Attach a picture" onClick={() => picker.current?.click()}>
          <Icon name="attach" />
        </button>
        <input ref={picker} type="file" accept={SENDABLE.join(',')} multiple hidden onChange={(e) => { addFiles(e.currentTarget.files); e.currentTarget.value = ''; }} />
        <label class="grow">
          <span class="sr-only">Message</span>
          <textarea
            ref={input}
            class="input"
            rows={1}
            placeholder="Message"
            title="Enter sends, Shift+Enter starts a new line"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={onKeyDown}
            onPaste={(e) => addFiles(e.clipboardData?.files ?? null)}
          />
        </label>
        <button class="btn icon primary" type="submit" aria-label="Send" title="Send" disabled={busy || tooLong || (text.trim() === '' && files.length === 0)}>
          <Icon name="send" />
        </button>
      </div>
      {text !== '' && (
        <p class={`counter${tooLong ? ' over' : ''}`} aria-live="polite" data-testid="sms-counter">
          {size.characters.toLocaleString('en-US')}/{MAX_BODY.toLocaleString('en-US')} · {size.segments} SMS{size.segments === 1 ? '' : 'es'}
          {size.encoding === 'UCS-2' ? ' (Unicode: 70 characters per SMS)' : ''}
        </p>
      )}
      {error && <p class="error-text" role="alert">{error}</p>}
    </form>
  );
}
