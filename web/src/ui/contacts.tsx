// Contacts: add, rename, delete, and call or text each one.

import { useState } from 'preact/hooks';
import { formatNumber } from '../format';
import { routePath } from '../router';
import type { ContactProblem } from '../app';
import type { Contact } from '../types';
import { Link, useApp } from './context';
import { Icon } from './icons';

export function Contacts() {
  const { app, state } = useApp();
  const [filter, setFilter] = useState('');
  const [name, setName] = useState('');
  const [number, setNumber] = useState('');
  const [error, setError] = useState<ContactProblem | null>(null);
  const contacts = state.contacts ?? [];
  const q = filter.trim().toLowerCase();
  const digits = q.replace(/\D/g, '');
  const shown = contacts.filter((c) => q === '' || c.name.toLowerCase().includes(q) || (digits !== '' && c.number.includes(digits)));

  const done = (err: ContactProblem | null) => {
    setError(err);
    if (!err) {
      setName('');
      setNumber('');
    }
  };
  const add = async (e: Event) => {
    e.preventDefault();
    done(await app.saveContact(number, name, true));
  };
  const existing = error?.existing;

  return (
    <section class="page" aria-labelledby="contacts-title">
      <h1 id="contacts-title">Contacts</h1>
      <form class="add-contact" onSubmit={add} aria-label="Add a contact">
        <label class="field">
          <span>Name</span>
          <input class="input" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Number</span>
          <input class="input" type="tel" value={number} placeholder="(555) 123-4567" onInput={(e) => setNumber(e.currentTarget.value)} />
        </label>
        <button class="btn primary" type="submit">
          <Icon name="add" /> Add
        </button>
        {error && (
          <p class="error-text" role="alert" style="grid-column:1/-1">
            {error.message}{' '}
            {existing && name.trim() !== '' && (
              <button class="btn" type="button" onClick={() => void app.saveContact(existing.number, name, false).then(done)}>
                Rename {existing.name} to {name.trim()}
              </button>
            )}
          </p>
        )}
      </form>
      <div class="filters">
        <label class="grow">
          <span class="sr-only">Filter contacts</span>
          <input class="input" type="search" placeholder="Filter" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
      </div>
      <ul class="card-list" aria-busy={state.contacts === null}>
        {shown.map((c) => (
          <ContactRow key={c.number} contact={c} />
        ))}
        {state.contacts !== null && shown.length === 0 && <li class="muted">{contacts.length === 0 ? 'No contacts yet.' : 'No contact matches.'}</li>}
      </ul>
    </section>
  );
}

function ContactRow({ contact }: { contact: Contact }) {
  const { app, state } = useApp();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(contact.name);
  const [error, setError] = useState<string | null>(null);
  const own = state.session?.number ?? '+1';

  const save = async (e: Event) => {
    e.preventDefault();
    const err = await app.saveContact(contact.number, name, false);
    setError(err?.message ?? null);
    if (!err) setEditing(false);
  };

  const remove = async () => {
    if (!confirm(`Delete ${contact.name}?`)) return;
    const err = await app.deleteContact(contact.number);
    if (err) setError(err);
  };

  return (
    <li data-number={contact.number}>
      {editing ? (
        <form class="grow" style="display:flex;gap:8px" onSubmit={save}>
          <label class="grow">
            <span class="sr-only">Name for {contact.number}</span>
            <input class="input" autoFocus value={name} onInput={(e) => setName(e.currentTarget.value)} onKeyDown={(e) => e.key === 'Escape' && setEditing(false)} />
          </label>
          <button class="btn primary" type="submit">Save</button>
          <button class="btn ghost" type="button" onClick={() => { setEditing(false); setName(contact.name); }}>Cancel</button>
        </form>
      ) : (
        <>
          <div class="grow">
            <div class="ellipsis"><strong>{contact.name}</strong></div>
            <div class="muted" style="font-size:13px">{formatNumber(contact.number, own)}</div>
          </div>
          <div class="actions">
            <button class="btn icon" type="button" aria-label={`Call ${contact.name}`} title="Call" onClick={() => void app.phone.dial(contact.number).then((e) => e && app.toast(e))}>
              <Icon name="phone" />
            </button>
            <Link href={routePath({ name: 'thread', number: contact.number })} class="btn icon" label={`Text ${contact.name}`}>
              <Icon name="chat" />
            </Link>
            <button class="btn icon" type="button" aria-label={`Rename ${contact.name}`} title="Rename" onClick={() => setEditing(true)}>
              <Icon name="edit" />
            </button>
            <button class="btn icon" type="button" aria-label={`Delete ${contact.name}`} title="Delete" onClick={() => void remove()}>
              <Icon name="trash" />
            </button>
          </div>
        </>
      )}
      {error && <p class="error-text" role="alert" style="flex-basis:100%">{error}</p>}
    </li>
  );
}
