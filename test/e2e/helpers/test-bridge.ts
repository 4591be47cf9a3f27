// Stands in for main/preload.ts in the renderer e2e test: the same createRendererApi the
// preload exposes, over an ipcRenderer whose invoke goes to the test's Node side (a
// function exposed by Playwright, which runs main's real IPC handlers) and whose messages
// come from there (page.evaluate → __kubejoinDeliver). Also records, for the assertions,
// what the live region announced, every step state change, and what was copied.
import { createRendererApi, type IpcRendererLike } from '../../../agent/contract/ipc.js';

type Listener = (event: unknown, value: unknown) => void;

interface TestWindow {
  __kubejoinInvoke(channel: string, arg: unknown): Promise<unknown>;
  __kubejoinDeliver(channel: string, value: unknown): void;
  __announcements: string[];
  __stepStates: string[];
  __clipboard: string[];
  __cspViolations: string[];
}

const w = window as unknown as Window & TestWindow;
const listeners = new Map<string, Set<Listener>>();

const ipc: IpcRendererLike = {
  invoke: (channel, ...args) => w.__kubejoinInvoke(channel, args[0]),
  on: (channel, listener) => listeners.set(channel, (listeners.get(channel) ?? new Set()).add(listener)),
  removeListener: (channel, listener) => listeners.get(channel)?.delete(listener),
};

w.__kubejoinDeliver = (channel, value) => {
  for (const l of listeners.get(channel) ?? []) l({}, value);
};
Object.defineProperty(window, 'kubejoin', { value: Object.freeze(createRendererApi(ipc)), writable: false });

w.__announcements = [];
w.__stepStates = [];
w.__clipboard = [];
w.__cspViolations = [];
Object.defineProperty(navigator, 'clipboard', {
  value: { writeText: async (text: string) => void w.__clipboard.push(text) },
});
document.addEventListener('securitypolicyviolation', (e) => w.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
document.addEventListener('DOMContentLoaded', () => {
  new MutationObserver(() => {
    const text = document.getElementById('announcer')?.textContent ?? '';
    if (text !== '') w.__announcements.push(text);
  }).observe(document.getElementById('announcer')!, { childList: true, characterData: true, subtree: true });
  new MutationObserver((records) => {
    for (const r of records) {
      const li = r.target as HTMLElement;
      if (r.attributeName === 'class' && li.dataset.phase) w.__stepStates.push(`${li.dataset.phase}:${li.className.replace('step ', '')}`);
    }
  }).observe(document.getElementById('steps')!, { attributes: true, subtree: true, attributeFilter: ['class'] });
});
