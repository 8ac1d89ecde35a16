// The phone page: a dial pad that also takes typing, calling by contact name, and the in-call
// keypad shared with the call bar.

import { useEffect, useRef, useState } from 'preact/hooks';
import { dialString, formatNumber } from '../format';
import { matchContacts } from '../phone';
import { useApp } from './context';
import { Icon } from './icons';

const KEYS: [string, string][] = [
  ['1', ''], ['2', 'ABC'], ['3', 'DEF'], ['4', 'GHI'], ['5', 'JKL'], ['6', 'MNO'],
  ['7', 'PQRS'], ['8', 'TUV'], ['9', 'WXYZ'], ['*', ''], ['0', '+'], ['#', ''],
];

export function Keypad({ onKey, label }: { onKey: (key: string) => void; label: string }) {
  return (
    <div class="pad" role="group" aria-label={label}>
      {KEYS.map(([k, letters]) => (
        <button key={k} type="button" onClick={() => onKey(k)} aria-label={letters ? `${k} ${letters}` : k}>
          <b>{k}</b>
          <small>{letters}</small>
        </button>
      ))}
    </div>
  );
}

export function Dialer() {
  const { app, state } = useApp();
  const route = state.route;
  const [input, setInput] = useState(route.name === 'phone' && route.dial ? route.dial : '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  const own = state.session?.number ?? '+1';
  const suggestions = matchContacts(input, state.contacts ?? []).slice(0, 5);

  const call = async (what = input) => {
    if (busy) return;
    setBusy(true);
    const err = await app.phone.dial(what);
    setBusy(false);
    setError(err);
  };

  // Typing digits anywhere on the page dials them, as on a desk phone.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey || state.call) return;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
      // Enter on a focused button presses that button.
      if (t?.tagName === 'BUTTON' && e.key === 'Enter') return;
      if (/^[0-9*#+]$/.test(e.key)) {
        e.preventDefault();
        setInput((v) => v + e.key);
        field.current?.focus();
      } else if (e.key === 'Backspace') {
        setInput((v) => v.slice(0, -1));
      } else if (e.key === 'Enter') {
        void call();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <section class="page" aria-labelledby="phone-title">
      <h1 id="phone-title" class="sr-only">Phone</h1>
      <form class="dialer" onSubmit={(e) => { e.preventDefault(); void call(); }}>
        <label>
          <span class="sr-only">Number or contact name</span>
          <input
            ref={field}
            class="input display"
            value={input}
            placeholder="Number or name"
            autoComplete="off"
            autoFocus
            onInput={(e) => { setInput(e.currentTarget.value); setError(null); }}
          />
        </label>
        {suggestions.length > 0 && (
          <ul class="suggestions" aria-label="Matching contacts">
            {suggestions.map((c) => (
              <li key={c.number}>
                <button type="button" onClick={() => void call(c.number)} aria-label={`Call ${c.name}`}>
                  <strong>{c.name}</strong>
                  <span class="muted">{formatNumber(c.number, own)}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <Keypad label="Dial pad" onKey={(k) => setInput((v) => v + k)} />
        <div class="dial-actions">
          <button class="btn icon answer call" type="submit" aria-label="Call" disabled={busy || input.trim() === '' || state.call !== null}>
            <Icon name="phone" />
          </button>
          <button class="btn icon ghost call" type="button" aria-label="Delete last digit" disabled={input === ''} onClick={() => setInput((v) => v.slice(0, -1))}>
            <Icon name="backspace" />
          </button>
        </div>
        {error && <p class="error-text" role="alert">{error}</p>}
        {state.voice.status !== 'registered' && <p class="muted" style="text-align:center">The phone is {state.voice.status === 'registering' ? 'connecting…' : 'not connected.'}</p>}
        <p class="muted sr-only" aria-live="polite">{dialString(input)}</p>
      </form>
    </section>
  );
}
