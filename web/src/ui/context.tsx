// The app and its current state, for every component.

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { App } from '../app';
import type { State } from '../store';

export interface Ctx {
  app: App;
  state: State;
}

export const AppContext = createContext<Ctx | null>(null);

export function useApp(): Ctx {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('useApp outside AppContext');
  return ctx;
}

/** Follows an in-app link without reloading; lets modified clicks open a new tab. */
export function follow(app: App, e: MouseEvent, path: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  app.go(path);
}

export function Link({ href, class: cls, children, current, label }: { href: string; class?: string; children: preact.ComponentChildren; current?: boolean; label?: string }) {
  const { app } = useApp();
  return (
    <a href={href} class={cls} aria-current={current ? 'page' : undefined} aria-label={label} onClick={(e) => follow(app, e as unknown as MouseEvent, href)}>
      {children}
    </a>
  );
}
