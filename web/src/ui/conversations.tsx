// The conversations list: search, inbox or archive, newest activity first, unread counts (all
// marked read at once), and a way to start a new conversation with a number or a contact.

import { useState } from 'preact/hooks';
import { displayName, formatWhen, parseNumber } from '../format';
import { resolveDialTarget } from '../phone';
import { routePath } from '../router';
import { Link, useApp } from './context';
import { Icon } from './icons';
import { previewText, snippetParts } from '../conversations';
import { initials } from './text';

export function Conversations() {
  const { app, state } = useApp();
  const { conversations: c, session, route } = state;
  const [composing, setComposing] = useState(false);
  const [to, setTo] = useState('');
  const [error, setError] = useState<string | null>(null);
  const own = session?.number ?? '+1';
  const now = Date.now();
  const current = route.name === 'thread' ? route.number : null;

  const start = (e: Event) => {
    e.preventDefault();
    const target = resolveDialTarget(to, state.contacts ?? [], own) ?? (parseNumber(to, own) ? { number: parseNumber(to, own) as string } : null);
    if (!target) {
      setError('Type a phone number or the name of a contact.');
      return;
    }
    setComposing(false);
    setTo('');
    setError(null);
    app.go(routePath({ name: 'thread', number: target.number }));
  };

  return (
    <section class="list" aria-label="Conversations">
      <div class="list-head">
        <label class="grow">
          <span class="sr-only">Search conversations</span>
          <input class="input" type="search" placeholder="Search" value={c.query} onInput={(e) => app.search(e.currentTarget.value)} />
        </label>
        <button class="btn icon primary" type="button" aria-label="New message" title="New message" aria-expanded={composing} onClick={() => setComposing(!composing)}>
          <Icon name="add" />
        </button>
      </div>
      {c.query === '' && (
        <div class="list-tools">
          <div class="seg" role="group" aria-label="Show">
            <button class="btn ghost" type="button" aria-pressed={c.view === 'inbox'} onClick={() => app.showView('inbox')}>
              Inbox
            </button>
            <button class="btn ghost" type="button" aria-pressed={c.view === 'archived'} onClick={() => app.showView('archived')}>
              Archived
            </button>
          </div>
          {c.view === 'inbox' && state.unreadTotal > 0 && (
            <button class="btn ghost" type="button" onClick={() => void app.markAllRead()}>
              Mark all read
            </button>
          )}
        </div>
      )}
      {composing && (
        <form class="list-head" onSubmit={start}>
          <label class="grow">
            <span class="sr-only">To (number or contact)</span>
            <input class="input" placeholder="To: number or contact" autoFocus value={to} onInput={(e) => setTo(e.currentTarget.value)} aria-invalid={error ? true : undefined} />
            {error && <p class="error-text" role="alert">{error}</p>}
          </label>
          <button class="btn" type="submit">Open</button>
        </form>
      )}
      <ul class="rows" aria-busy={c.loading}>
        {c.items.map((conv) => {
          const name = app.nameOf(conv.number) ?? conv.name;
          const last = conv.last;
          const preview = last ? previewText(last) : '';
          return (
            <li key={conv.number}>
              <Link href={routePath({ name: 'thread', number: conv.number })} class={`row${conv.unread > 0 ? ' unread' : ''}`} current={conv.number === current}>
                <span class="avatar" aria-hidden="true">{initials(name)}</span>
                <span class="grow">
                  <span class="line1">
                    <span class="name ellipsis">{displayName(conv.number, name, own)}</span>
                    {last && <span class="when">{formatWhen(last.at, now)}</span>}
                  </span>
                  <span class="line1">
                    <span class="preview ellipsis grow">{preview}</span>
                    {conv.blocked ? <span class="tag">Blocked</span> : conv.archived ? <span class="tag">Archived</span> : null}
                    {conv.unread > 0 && (
                      <span class="badge" aria-label={`${conv.unread} unread`}>
                        {conv.unread}
                      </span>
                    )}
                  </span>
                </span>
              </Link>
            </li>
          );
        })}
        {!c.loading && c.items.length === 0 && (c.query === '' || (c.hits !== null && c.hits.length === 0)) && (
          <li class="empty">{c.query ? 'No conversation matches.' : c.view === 'archived' ? 'Nothing archived.' : 'No conversations yet.'}</li>
        )}
        {c.next && (
          <li class="more">
            <button class="btn" type="button" onClick={() => void app.loadConversations(true)}>
              Load more
            </button>
          </li>
        )}
        {c.query.trim() !== '' && c.hits && c.hits.length > 0 && (
          <li class="hits">
            <h3 class="hits-title" id="hits-title">Messages</h3>
            <ul class="rows" aria-labelledby="hits-title">
              {c.hits.map((hit) => {
                const name = app.nameOf(hit.number) ?? hit.name;
                return (
                  <li key={`${hit.kind}:${hit.sid}`}>
                    <Link href={routePath({ name: 'thread', number: hit.number, find: hit.sid })} class="row hit">
                      <span class="grow">
                        <span class="line1">
                          <span class="name ellipsis">{displayName(hit.number, name, own)}</span>
                          <span class="when">{formatWhen(hit.at, now)}</span>
                        </span>
                        <span class="preview snippet">
                          {hit.kind === 'voicemail' ? 'Voicemail: ' : hit.direction === 'outbound' ? 'You: ' : ''}
                          {snippetParts(hit.snippet).map((p, i) => (p.match ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
                        </span>
                      </span>
                    </Link>
                  </li>
                );
              })}
            </ul>
            {c.hitsNext && (
              <div class="more">
                <button class="btn" type="button" onClick={() => void app.loadHits(true)}>
                  More messages
                </button>
              </div>
            )}
          </li>
        )}
      </ul>
    </section>
  );
}
