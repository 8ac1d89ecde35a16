// @vitest-environment happy-dom
import { render } from 'preact';
import { describe, expect, it } from 'vitest';
import { LinkedText } from '../src/ui/text';

function rendered(text: string): HTMLElement {
  const root = document.createElement('div');
  render(<LinkedText text={text} />, root);
  return root;
}

describe('LinkedText', () => {
  it('renders markup in a message as visible text, never as elements', () => {
    const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>&amp;';
    const root = rendered(hostile);
    expect(root.querySelector('img, script')).toBeNull();
    expect(root.textContent).toBe(hostile);
  });
  it('turns web URLs into links that open in a new tab without an opener', () => {
    const root = rendered('menu: https://example.com/menu?x=<b> ok');
    const links = root.querySelectorAll('a');
    expect(links.length).toBe(1);
    const a = links[0] as HTMLAnchorElement;
    expect(a.getAttribute('href')).toBe('https://example.com/menu?x=');
    expect(a.getAttribute('target')).toBe('_blank');
    expect(a.getAttribute('rel')).toContain('noopener');
    expect(root.textContent).toBe('menu: https://example.com/menu?x=<b> ok');
  });
  it('does not make javascript: text clickable', () => {
    const root = rendered('javascript:alert(document.cookie)');
    expect(root.querySelector('a')).toBeNull();
  });
});
