// Entry point: builds the app controller, renders the UI for its state, and boots the session.

import { render } from 'preact';
import { App } from './app';
import './style.css';
import { Root } from './ui/root';

const app = new App();
const root = document.getElementById('root');
if (root) render(<Root app={app} />, root);
void app.boot();
// For debugging in the console and for the end-to-end tests.
(window as unknown as { vbx: App }).vbx = app;
