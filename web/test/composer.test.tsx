// @vitest-environment happy-dom
import { render } from 'preact';
import { describe, expect, it } from 'vitest';
import type { App } from '../src/app';
import { initialState } from '../src/store';
import { AppContext } from '../src/ui/context';
import { Composer } from '../src/ui/thread';

const settle = () => new Promise((resolve) => setTimeout(resolve, 250));

function composer(number: string, sent: [string, string][], root: HTMLElement) {
  const app = {
    send: async (to: string, body: string) => {
      sent.push([to, body]);
      return null;
    },
  } as unknown as App;
  render(
    <AppContext.Provider value={{ app, state: initialState({ name: 'thread', number }) as never }}>
      <Composer number={number} onSent={() => {}} />
    </AppContext.Provider>,
    root,
  );
}

function type(root: HTMLElement, text: string) {
  const box = root.querySelector('textarea') as HTMLTextAreaElement;
  box.value = text;
  box.dispatchEvent(new Event('input', { bubbles: true }));
}

function pressEnter(root: HTMLElement) {
  const box = root.querySelector('textarea') as HTMLTextAreaElement;
  box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
}

describe('Composer', () => {
  it('keeps what was typed before its first effects ran and sends it', async () => {
    const sent: [string, string][] = [];
    const root = document.createElement('div');
    composer('+15550001111', sent, root);
    // Typed (or filled by a test) right after the thread opened, before Preact ran effects.
    type(root, 'Reply from the browser');
    await settle();
    pressEnter(root);
    await settle();
    expect(sent).toEqual([['+15550001111', 'Reply from the browser']]);
  });

});
