// The voicemail box: every voicemail newest first with who left it, when and for how long, its
// player and transcript; new ones marked until heard (playing one hears it); delete here and at
// Twilio.

import { displayName, formatDuration, formatEventTime, formatFull } from '../format';
import { routePath } from '../router';
import type { Voicemail } from '../types';
import { Link, useApp } from './context';
import { Icon } from './icons';
import { Transcript } from './thread';

export function VoicemailBox() {
  const { app, state } = useApp();
  const box = state.voicemails;
  const now = Date.now();
  return (
    <section class="page" aria-labelledby="voicemail-title">
      <h1 id="voicemail-title">
        Voicemail
        {state.newVoicemails > 0 && <span class="muted heading-note"> · {state.newVoicemails} new</span>}
      </h1>
      <ul class="card-list voicemails" aria-label="Voicemails" aria-busy={box.loading}>
        {box.items.map((v) => (
          <VoicemailRow key={v.sid} v={v} now={now} />
        ))}
        {!box.loading && box.items.length === 0 && <li class="muted">No voicemails.</li>}
      </ul>
      {box.next && (
        <div class="more">
          <button class="btn" type="button" onClick={() => void app.loadVoicemails(true)}>
            Load more
          </button>
        </div>
      )}
    </section>
  );
}

function VoicemailRow({ v, now }: { v: Voicemail; now: number }) {
  const { app, state } = useApp();
  const own = state.session?.number ?? '+1';
  const name = v.number ? (app.nameOf(v.number) ?? v.name) : null;
  const who = v.number ? displayName(v.number, name, own) : 'Unknown caller';
  const label = `Voicemail from ${who}${v.heard ? '' : ', new'}`;
  return (
    <li data-sid={v.sid} class={`vm${v.heard ? '' : ' new'}`} aria-label={label}>
      <Icon name="voicemail" class={`dir${v.heard ? '' : ' new'}`} />
      <div class="grow">
        <div class="ellipsis">
          {v.number ? (
            <Link href={routePath({ name: 'thread', number: v.number })} class="who-link" label={`Conversation with ${who}`}>
              <strong>{who}</strong>
            </Link>
          ) : (
            <strong>{who}</strong>
          )}
          {!v.heard && <span class="tag new">New</span>}
        </div>
        <div class="muted" style="font-size:13px">
          <time dateTime={new Date(v.at).toISOString()} title={formatFull(v.at)}>
            {formatEventTime(v.at, now)}
          </time>
          {v.duration != null && ` · ${formatDuration(v.duration)}`}
        </div>
      </div>
      <div class="actions">
        {!v.heard && (
          <button class="btn" type="button" onClick={() => void app.markHeard(v.sid)}>
            Mark heard
          </button>
        )}
        {v.number && (
          <button class="btn icon" type="button" aria-label={`Call ${who}`} title="Call back" onClick={() => void app.phone.dial(v.number as string).then((e) => e && app.toast(e))}>
            <Icon name="phone" />
          </button>
        )}
        <button
          class="btn icon"
          type="button"
          aria-label={`Delete voicemail from ${who}`}
          title="Delete"
          onClick={() => {
            if (confirm(`Delete this voicemail from ${who}? It is deleted here and at Twilio.`)) void app.deleteVoicemail(v.sid);
          }}
        >
          <Icon name="trash" />
        </button>
      </div>
      <audio controls preload="none" src={v.url} aria-label={`Recording of the voicemail from ${who}`} onPlay={() => void app.markHeard(v.sid)} />
      <Transcript v={v} now={now} />
    </li>
  );
}
