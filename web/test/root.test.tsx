// @vitest-environment happy-dom
import { render } from 'preact';
import { describe, expect, it } from 'vitest';
import type { App } from '../src/app';
import { initialState, Store } from '../src/store';
import { Root } from '../src/ui/root';

const settle = () => new Promise((resolve) => setTimeout(resolve, 250));

describe('Root', () => {
  it('shows the login page when the session answer came before its first effect ran', async () => {
    const store = new Store(initialState({ name: 'login' }));
    const app = { store, get state() { return store.state; } } as unknown as App;
    const root = document.createElement('div');
    render(<Root app={app} />, root);
    expect(root.textContent).toBe('Loading…');
    // What boot() does on a 401, before Preact runs the effect that subscribes.
    store.update({ booting: false });
    await Promise.resolve();
    await settle();
    expect(root.textContent).not.toContain('Loading…');
    expect(root.querySelector('input')).not.toBeNull();
  });
});
