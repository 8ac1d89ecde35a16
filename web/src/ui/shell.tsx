// The logged-in frame: navigation, banners, calls on top, and the page for the current route.

import { useEffect, useState } from 'preact/hooks';
import { section } from '../router';
import type { Banner } from '../store';
import { CallBar, IncomingCalls } from './callbar';
import { CallLog } from './calls';
import { Contacts } from './contacts';
import { Link, useApp } from './context';
import { Conversations } from './conversations';
import { Icon, type IconName } from './icons';
import { Dialer } from './phone';
import { Settings } from './settings';
import { Thread } from './thread';
import { VoicemailBox } from './voicemail';

const NAV: { key: 'messages' | 'calls' | 'voicemail' | 'contacts' | 'phone' | 'settings'; href: string; label: string; icon: IconName }[] = [
  { key: 'messages', href: '/', label: 'Messages', icon: 'chat' },
  { key: 'calls', href: '/calls', label: 'Calls', icon: 'history' },
  { key: 'voicemail', href: '/voicemail', label: 'Voicemail', icon: 'voicemail' },
  { key: 'contacts', href: '/contacts', label: 'Contacts', icon: 'contacts' },
  { key: 'phone', href: '/phone', label: 'Phone', icon: 'dialpad' },
  { key: 'settings', href: '/settings', label: 'Settings', icon: 'settings' },
];

/** What a screen reader hears for a navigation item: its name and what is new there. */
export function navLabel(key: string, label: string, unread: number, voicemails: number): string {
  if (key === 'messages' && unread > 0) return `Messages, ${unread} unread`;
  if (key === 'voicemail' && voicemails > 0) return `Voicemail, ${voicemails} new`;
  return label;
}

function BannerView({ banner }: { banner: Banner }) {
  const { state } = useApp();
  const [now, setNow] = useState(Date.now());
  const live = banner.key === 'live' && state.live.status === 'waiting' ? state.live : null;
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [live !== null]);
  const text = live ? `Connection to vbx lost. Reconnecting in ${Math.max(0, Math.ceil((live.retryAt - now) / 1000))} s…` : banner.key === 'live' && state.live.status === 'connecting' ? 'Connection to vbx lost. Reconnecting…' : banner.text;
  return (
    <div class={`banner ${banner.tone}`} role={banner.tone === 'error' ? 'alert' : 'status'} data-banner={banner.key}>
      <span class="grow">{text}</span>
      {banner.action && (
        <button class="btn" type="button" onClick={banner.action.run}>
          {banner.action.label}
        </button>
      )}
    </div>
  );
}

export function Shell() {
  const { state } = useApp();
  const route = state.route;
  const current = section(route);
  const messages = route.name === 'inbox' || route.name === 'thread';
  const layout = messages ? (route.name === 'thread' ? 'detail' : 'master') : 'wide';
  const unread = state.unreadTotal;
  const voicemails = state.newVoicemails;
  const voiceClass = state.voice.status === 'registered' ? 'on' : state.voice.status === 'failed' ? 'failed' : '';

  let page;
  switch (route.name) {
    case 'calls':
      page = <CallLog />;
      break;
    case 'voicemail':
      page = <VoicemailBox />;
      break;
    case 'contacts':
      page = <Contacts />;
      break;
    case 'phone':
      page = <Dialer />;
      break;
    case 'settings':
      page = <Settings />;
      break;
    case 'notfound':
      page = <div class="empty">Nothing here. <Link href="/">Back to messages</Link></div>;
      break;
    default:
      page = null;
  }

  return (
    <div class={`app ${layout}`}>
      <a class="skip" href="#main">Skip to content</a>
      <div class="top">
        <div class="banners">
          {state.banners.map((b) => (
            <BannerView key={b.key} banner={b} />
          ))}
        </div>
        <IncomingCalls />
        <CallBar />
      </div>
      <nav class="nav" aria-label="Main">
        {NAV.map((n) => (
          <Link key={n.key} href={n.href} current={current === n.key} label={navLabel(n.key, n.label, unread, voicemails)}>
            <Icon name={n.icon} />
            <span aria-hidden="true">{n.label}</span>
            {n.key === 'messages' && unread > 0 && <span class="badge" aria-hidden="true">{unread > 99 ? '99+' : unread}</span>}
            {n.key === 'voicemail' && voicemails > 0 && (
              <span class="badge" aria-hidden="true" title="New voicemails">
                {voicemails > 99 ? '99+' : voicemails}
              </span>
            )}
            {n.key === 'phone' && <span class={`voice-dot ${voiceClass}`} title={`Phone: ${state.voice.status}`} aria-hidden="true" style="position:absolute;top:6px;right:12px" />}
          </Link>
        ))}
        <div class="spacer" />
      </nav>
      {messages && <Conversations />}
      <main class="main" id="main" tabIndex={-1}>
        {messages ? <Thread /> : page}
      </main>
      {state.toast && (
        <div class="toast" role="status">
          {state.toast}
        </div>
      )}
    </div>
  );
}
