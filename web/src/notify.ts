// Desktop notifications and the title badge, for what happens while the tab is not looked at.

export interface Attention {
  /** Unread texts and new voicemails (from the server) plus calls missed while the tab was hidden. */
  badge: number;
  ringing: string | null;
}

/** The document title for a state of the app. */
export function titleFor(base: string, a: Attention): string {
  const parts: string[] = [];
  if (a.ringing) parts.push(`Call from ${a.ringing}`);
  if (a.badge > 0) parts.push(`(${a.badge > 99 ? '99+' : a.badge})`);
  parts.push(base);
  return parts.join(' ');
}

export function pageIsWatched(): boolean {
  return document.visibilityState === 'visible' && document.hasFocus();
}

export function notificationsSupported(): boolean {
  return typeof Notification !== 'undefined';
}

export function notificationPermission(): NotificationPermission | 'unsupported' {
  return notificationsSupported() ? Notification.permission : 'unsupported';
}

export async function askNotificationPermission(): Promise<NotificationPermission | 'unsupported'> {
  if (!notificationsSupported()) return 'unsupported';
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

/**
 * Shows a desktop notification when allowed and the tab is not being watched; clicking it
 * focuses the tab and runs `onClick`. `tag` replaces an earlier notification of the same thing.
 */
export function notify(title: string, body: string, tag: string, onClick: () => void, sticky = false): Notification | null {
  if (!notificationsSupported() || Notification.permission !== 'granted' || pageIsWatched()) return null;
  try {
    const n = new Notification(title, { body, tag, requireInteraction: sticky, icon: '/favicon.svg' });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
    return n;
  } catch {
    return null;
  }
}
