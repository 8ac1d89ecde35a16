// Calls above every page: the ringing banner (answer / reject) and the active call with its
// timer, mute, keypad (DTMF) and hang up.

import { useEffect, useRef, useState } from 'preact/hooks';
import { displayName, formatDuration } from '../format';
import { useApp } from './context';
import { Icon } from './icons';
import { Keypad } from './phone';

export function IncomingCalls() {
  const { app, state } = useApp();
  const own = state.session?.number ?? '+1';
  const answerRef = useRef<HTMLButtonElement>(null);
  const first = state.incoming[0]?.id;
  useEffect(() => {
    if (first) answerRef.current?.focus();
  }, [first]);
  if (state.incoming.length === 0) return null;
  return (
    <>
      {state.incoming.map((call, i) => {
        const who = displayName(call.from, app.nameOf(call.from), own);
        return (
          <div key={call.id} class="incoming" role="alertdialog" aria-label={`Incoming call from ${who}`} data-call={call.id}>
            <Icon name="phone" class="ring" />
            <div class="grow">
              <div class="who ellipsis">{who}</div>
              <div class="muted" style="font-size:13px">Incoming call</div>
            </div>
            <button ref={i === 0 ? answerRef : undefined} class="btn answer" type="button" onClick={() => void app.phone.answer(call.id)}>
              <Icon name="phone" /> Answer
            </button>
            <button class="btn danger" type="button" onClick={() => app.phone.reject(call.id)}>
              <Icon name="hangup" /> Reject
            </button>
          </div>
        );
      })}
    </>
  );
}

function useTick(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

export function CallBar() {
  const { app, state } = useApp();
  const call = state.call;
  const [keypad, setKeypad] = useState(false);
  const now = useTick(call !== null);
  useEffect(() => {
    if (!call) setKeypad(false);
  }, [call === null]);
  useEffect(() => {
    if (!call || call.state !== 'open') return;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA')) return;
      if (/^[0-9*#]$/.test(e.key)) app.phone.sendDigit(e.key);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [call?.id, call?.state]);
  if (!call) return null;
  const who = displayName(call.number, app.nameOf(call.number), state.session?.number);
  const status =
    call.state === 'open' && call.startedAt !== null
      ? formatDuration((now - call.startedAt) / 1000)
      : call.state === 'dialing'
        ? 'Calling…'
        : 'Connecting…';
  return (
    <div class="callbar" role="region" aria-label={`Call with ${who}`} data-sid={call.sid ?? undefined}>
      <Icon name="phone" />
      <div class="grow">
        <div class="who ellipsis">{who}</div>
        <div class="timer" aria-live="off" data-testid="call-timer">
          {status}
          {call.digits && <span> · {call.digits}</span>}
        </div>
        {call.problem && (
          <div class="call-problem" role="status">
            {call.problem}
          </div>
        )}
      </div>
      <button class={`btn icon${call.muted ? ' on' : ''}`} type="button" aria-pressed={call.muted} aria-label={call.muted ? 'Unmute' : 'Mute'} title={call.muted ? 'Unmute' : 'Mute'} onClick={() => app.phone.toggleMute()}>
        <Icon name={call.muted ? 'micOff' : 'mic'} />
      </button>
      <button class={`btn icon${keypad ? ' on' : ''}`} type="button" aria-pressed={keypad} aria-label="Keypad" title="Keypad" onClick={() => setKeypad(!keypad)}>
        <Icon name="dialpad" />
      </button>
      <button class="btn danger" type="button" onClick={() => app.phone.hangup()}>
        <Icon name="hangup" /> Hang up
      </button>
      {keypad && (
        <div class="keypad">
          <Keypad label="Send tones" onKey={(k) => app.phone.sendDigit(k)} />
        </div>
      )}
    </div>
  );
}
