// The app's URLs: parsed into routes and written back. The server answers every one of these
// paths with index.html (crates/vbx/src/http/web.rs lists them).

export type Route =
  | { name: 'inbox' }
  | { name: 'thread'; number: string; find?: string }
  | { name: 'calls' }
  | { name: 'voicemail' }
  | { name: 'contacts' }
  | { name: 'phone'; dial?: string }
  | { name: 'settings' }
  | { name: 'login'; next?: string }
  | { name: 'notfound'; path: string };

export function parseRoute(path: string, search = ''): Route {
  const params = new URLSearchParams(search);
  const p = path.replace(/\/+$/, '') || '/';
  if (p === '/' || p === '/messages') return { name: 'inbox' };
  if (p === '/calls') return { name: 'calls' };
  if (p === '/voicemail') return { name: 'voicemail' };
  if (p === '/contacts') return { name: 'contacts' };
  if (p === '/settings') return { name: 'settings' };
  if (p === '/phone') {
    const dial = params.get('dial');
    return dial ? { name: 'phone', dial } : { name: 'phone' };
  }
  if (p === '/login') {
    const next = params.get('next');
    return next && next.startsWith('/') && !next.startsWith('//') ? { name: 'login', next } : { name: 'login' };
  }
  const m = /^\/t\/([^/]+)$/.exec(p);
  if (m && m[1]) {
    let number: string;
    try {
      number = decodeURIComponent(m[1]);
    } catch {
      return { name: 'notfound', path: p };
    }
    const find = params.get('find');
    return find ? { name: 'thread', number, find } : { name: 'thread', number };
  }
  return { name: 'notfound', path: p };
}

export function routePath(route: Route): string {
  switch (route.name) {
    case 'inbox':
      return '/';
    case 'thread':
      return `/t/${encodeURIComponent(route.number)}${route.find ? `?find=${encodeURIComponent(route.find)}` : ''}`;
    case 'phone':
      return route.dial ? `/phone?dial=${encodeURIComponent(route.dial)}` : '/phone';
    case 'login':
      return route.next ? `/login?next=${encodeURIComponent(route.next)}` : '/login';
    case 'notfound':
      return route.path;
    default:
      return `/${route.name}`;
  }
}

/** Which top-level section a route belongs to (for the navigation highlight). */
export function section(route: Route): 'messages' | 'calls' | 'voicemail' | 'contacts' | 'phone' | 'settings' | null {
  switch (route.name) {
    case 'inbox':
    case 'thread':
      return 'messages';
    case 'calls':
    case 'voicemail':
    case 'contacts':
    case 'phone':
    case 'settings':
      return route.name;
    default:
      return null;
  }
}
