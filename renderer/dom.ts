// Tiny DOM helpers: text only (never innerHTML), so nothing from the engine is parsed as markup,
// and every string through printable, so no control character a server sent reaches the page
// (agent/contract/text.ts).
import { printable } from '../agent/contract/text.js';

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children.map((c) => (typeof c === 'string' ? printable(c, true) : c)));
  return el;
}

/** Fills a <dl> with term/description pairs (empty values skipped). */
export function fillFacts(dl: HTMLElement, pairs: [string, string | undefined][]): void {
  dl.replaceChildren(...pairs.filter(([, v]) => v !== undefined && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v!)]));
}

/** The live region: one polite announcement at a time. */
export function announce(text: string): void {
  const region = byId('announcer');
  region.textContent = '';
  // A fresh text node after clearing makes screen readers announce repeats too.
  window.setTimeout(() => (region.textContent = text), 50);
}
