// Kiosk mode: what the provisioning file says (or what is wrong with it) and the countdown
// to the next attempt. The entry form is hidden: a kiosk joins only from its file.
import type { KioskState } from '../agent/contract/ipc.js';
import { printable } from '../agent/contract/text.js';
import { announce, byId, h } from './dom.js';
import { scrub } from './scrub.js';

const STATUS: Record<KioskState['phase'], string> = {
  off: '',
  'waiting-for-file': 'Waiting for the provisioning file.',
  'invalid-file': 'The provisioning file cannot be used:',
  joining: 'Joining with the provisioning file.',
  'retry-wait': 'The join failed; it will be tried again.',
  joined: 'Joined. This device is provisioned.',
};

export function renderKiosk(state: KioskState, previous: KioskState | undefined): void {
  const on = state.phase !== 'off';
  byId('kiosk').hidden = !on;
  document.body.classList.toggle('kiosk-mode', on);
  if (!on) return;
  byId('entry').hidden = true;
  byId('kiosk-status').textContent = STATUS[state.phase];
  byId('kiosk-path').textContent = printable(state.provisionPath ?? '');
  const problems = byId('kiosk-problems');
  problems.hidden = !state.problems?.length;
  problems.replaceChildren(...(state.problems ?? []).map((p) => h('li', {}, scrub(p))));
  const countdown = byId('kiosk-countdown');
  countdown.hidden = !state.retry;
  if (state.retry) {
    const verb = state.phase === 'retry-wait' ? 'Next attempt' : 'Checking the file again';
    countdown.textContent = `${verb} in ${state.retry.secondsLeft} s (attempt ${state.retry.attempt}).`;
  }
  if (previous?.phase !== state.phase) announce(`${STATUS[state.phase]}${state.problems?.length ? ` ${state.problems.length} problem(s).` : ''}`);
}
