// The call log: every call with its direction, party, time, duration, voicemail and recording,
// filterable, with call back and text buttons.

import { callPath, callText } from '../calls';
import { displayName, formatEventTime, formatFull } from '../format';
import { routePath } from '../router';
import { Link, useApp } from './context';
import { Icon } from './icons';
import { CallPath, CallRecording, VoicemailPlayer } from './thread';

export function CallLog() {
  const { app, state } = useApp();
  const log = state.callLog;
  const own = state.session?.number ?? '+1';
  const now = Date.now();
  const setFilter = (patch: Partial<typeof log.filter>) => app.filterCalls({ ...log.filter, ...patch });

  return (
    <section class="page" aria-labelledby="calls-title">
      <h1 id="calls-title">Calls</h1>
      <div class="filters">
        <label>
          <span class="sr-only">Direction</span>
          <select class="input" value={log.filter.direction} onChange={(e) => setFilter({ direction: e.currentTarget.value })}>
            <option value="">All directions</option>
            <option value="inbound">Incoming</option>
            <option value="outbound">Outgoing</option>
          </select>
        </label>
        <label>
          <span class="sr-only">What happened</span>
          <select class="input" value={log.filter.outcome} onChange={(e) => setFilter({ outcome: e.currentTarget.value })}>
            <option value="">All calls</option>
            <option value="answered">Answered</option>
            <option value="missed">Missed</option>
            <option value="voicemail">Voicemail</option>
            <option value="no-answer">Not answered (outgoing)</option>
            <option value="busy">Busy</option>
            <option value="failed">Failed</option>
            <option value="canceled">Canceled</option>
            <option value="rejected">Blocked</option>
          </select>
        </label>
      </div>
      <ul class="card-list" aria-busy={log.loading}>
        {log.items.map((c) => {
          const other = c.direction === 'inbound' ? c.from : c.to;
          const name = app.nameOf(other) ?? c.name;
          const who = displayName(other, name, own);
          const { text, missed } = callText(c, state.status?.devices, own);
          return (
            <li key={c.sid} data-sid={c.sid}>
              <Icon name={c.direction === 'inbound' ? 'incoming' : 'outgoing'} class={`dir${missed ? ' missed' : ''}`} />
              <div class="grow">
                <div class="ellipsis">
                  <strong>{who}</strong>
                </div>
                <div class="muted" style="font-size:13px">
                  {text} · <time dateTime={new Date(c.at).toISOString()} title={formatFull(c.at)}>{formatEventTime(c.at, now)}</time>
                </div>
              </div>
              <div class="actions">
                {c.status === 'in-progress' && (
                  <button class="btn danger" type="button" onClick={() => void app.hangupRemote(c.sid)}>
                    Hang up
                  </button>
                )}
                <button class="btn icon" type="button" aria-label={`Call ${who}`} title="Call" onClick={() => void app.phone.dial(other).then((e) => e && app.toast(e))}>
                  <Icon name="phone" />
                </button>
                <Link href={routePath({ name: 'thread', number: other })} class="btn icon" label={`Text ${who}`}>
                  <Icon name="chat" />
                </Link>
              </div>
              {callPath(c.path) && <CallPath text={callPath(c.path) as string} />}
              {c.call_recording && <CallRecording r={c.call_recording} />}
              {c.recording && <VoicemailPlayer v={c.recording} />}
            </li>
          );
        })}
        {!log.loading && log.items.length === 0 && <li class="muted">No calls.</li>}
      </ul>
      {log.next && (
        <div class="more">
          <button class="btn" type="button" onClick={() => void app.loadCalls(true)}>
            Load more
          </button>
        </div>
      )}
    </section>
  );
}
