// Entry point: builds the app controller, renders the UI for its state, and boots the session.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { App } from './app';
import './style.css';
import { AppContext } from './ui/context';
import { Login } from './ui/login';
import { Shell } from './ui/shell';

function Root({ app }: { app: App }) {
  const [state, setState] = useState(app.state);
  useEffect(() => app.store.subscribe(() => setState(app.state)), [app]);
  let body;
  if (state.booting) body = <div class="empty" aria-busy="true">Loading…</div>;
  else if (state.route.name === 'login' || !state.session) body = <Login />;
  else body = <Shell />;
  return <AppContext.Provider value={{ app, state }}>{body}</AppContext.Provider>;
}

const app = new App();
const root = document.getElementById('root');
if (root) render(<Root app={app} />, root);
void app.boot();
// For debugging in the console and for the end-to-end tests.
(window as unknown as { vbx: App }).vbx = app;
