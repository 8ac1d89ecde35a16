// Settings: microphone and speaker, desktop notifications, blocked numbers, what vbx reports
// about its devices and Twilio, and logging out.

import { displayName, formatWhen } from '../format';
import { useApp } from './context';

export function Settings() {
  const { app, state } = useApp();
  const { devices, status, notifications, voice } = state;
  return (
    <section class="page settings" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <section aria-labelledby="audio-title">
        <h2 id="audio-title">Audio</h2>
        <label class="field">
          <span>Microphone</span>
          <select class="input" value={devices.input ?? ''} onChange={(e) => void app.phone.setInput(e.currentTarget.value || null)}>
            <option value="">System default</option>
            {devices.inputs.map((d) => (
              <option key={d.id} value={d.id}>{d.label}</option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>Speaker</span>
          <select class="input" value={devices.output ?? ''} disabled={!devices.outputSupported} onChange={(e) => void app.phone.setOutput(e.currentTarget.value || null)}>
            <option value="">System default</option>
            {devices.outputs.map((d) => (
              <option key={d.id} value={d.id}>{d.label}</option>
            ))}
          </select>
        </label>
        {!devices.outputSupported && <p class="muted">This browser always plays calls on the system speaker.</p>}
        {devices.inputs.every((d) => d.label.startsWith('Microphone ')) && (
          <p>
            <button class="btn" type="button" onClick={() => void app.phone.allowMicrophone()}>Allow the microphone to list devices</button>
          </p>
        )}
        <p class="muted">
          Phone in this tab: <strong>{voice.status === 'registered' ? 'ready to ring' : voice.status === 'registering' ? 'connecting…' : voice.status === 'failed' ? 'not connected' : 'off'}</strong>
        </p>
      </section>
      <section aria-labelledby="notify-title">
        <h2 id="notify-title">Notifications</h2>
        {notifications === 'granted' && <p>Desktop notifications are on for calls and texts that arrive while this tab is in the background.</p>}
        {notifications === 'default' && (
          <p>
            <button class="btn primary" type="button" onClick={() => void app.enableNotifications()}>Turn on desktop notifications</button>
          </p>
        )}
        {notifications === 'denied' && <p class="muted">Notifications are blocked for this site; allow them in the browser's site settings.</p>}
        {notifications === 'unsupported' && <p class="muted">This browser cannot show notifications.</p>}
      </section>
      <section aria-labelledby="blocked-title">
        <h2 id="blocked-title">Blocked numbers</h2>
        {state.blocked === null ? (
          <p class="muted">Loading…</p>
        ) : state.blocked.length === 0 ? (
          <p class="muted">No number is blocked. Block one from its conversation's menu.</p>
        ) : (
          <ul class="status-list" aria-label="Blocked numbers">
            {state.blocked.map((b) => (
              <li key={b.number} class="blocked-row">
                <span class="grow ellipsis">{displayName(b.number, app.nameOf(b.number) ?? b.name, state.session?.number ?? '+1')}</span>
                <button class="btn" type="button" onClick={() => void app.setBlocked(b.number, false)}>
                  Unblock
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="status-title">
        <h2 id="status-title">Status</h2>
        {status ? (
          <ul class="status-list">
            <li>Twilio: {status.twilio.reachable ? 'reachable' : `unreachable${status.twilio.last_error ? ` (${status.twilio.last_error})` : ''}`}</li>
            {status.devices.map((d) => (
              <li key={d.name}>
                Device {d.name} ({d.type}): {d.online === null ? 'always available' : d.online ? 'online' : 'offline'}
                {d.last_error && <span class="muted"> — {d.last_error}</span>}
              </li>
            ))}
            <li>Outbox: {status.outbox.pending} waiting, {status.outbox.failed} failed</li>
            {status.last_sync !== null && <li>Last sync with Twilio: {formatWhen(status.last_sync, Date.now())}</li>}
          </ul>
        ) : (
          <p class="muted">Loading…</p>
        )}
      </section>
      <section aria-labelledby="account-title">
        <h2 id="account-title">Account</h2>
        <p>
          Logged in as <strong>{state.session?.user.name}</strong> on {state.session?.number}.
        </p>
        <button class="btn" type="button" onClick={() => void app.logout()}>Log out</button>
      </section>
    </section>
  );
}
