// The root component: the loading screen, the login page or the app, for the controller's state.

import { useEffect, useState } from 'preact/hooks';
import type { App } from '../app';
import { AppContext } from './context';
import { Login } from './login';
import { Shell } from './shell';

export function Root({ app }: { app: App }) {
  const [state, setState] = useState(app.state);
  useEffect(() => {
    const unsubscribe = app.store.subscribe(() => setState(app.state));
    // The effect runs after the first paint. An update that came before it (the session
    // request can answer first) told no one: take the state as it is now.
    setState(app.state);
    return unsubscribe;
  }, [app]);
  let body;
  if (state.booting) body = <div class="empty" aria-busy="true">Loading…</div>;
  else if (state.route.name === 'login' || !state.session) body = <Login />;
  else body = <Shell />;
  return <AppContext.Provider value={{ app, state }}>{body}</AppContext.Provider>;
}
