// Every phase as a step: pending, running (with a live elapsed time and the latest
// progress message), done or failed (with its duration).
import { PHASES, PHASE_TITLES, type Phase } from '../agent/contract/phases.js';
import { byId, h } from './dom.js';
import { formatDuration } from './format.js';
import type { JoinView, StepState } from './join-view.js';
import { scrub } from './scrub.js';

const MARK: Record<StepState, string> = { pending: '○', running: '◔', done: '✓', failed: '✕' };
const STATE_TEXT: Record<StepState, string> = { pending: 'pending', running: 'running', done: 'done', failed: 'failed' };

export class ProgressView {
  private readonly list = byId('steps');
  private readonly runningSince = new Map<Phase, number>();
  private timer: number | undefined;

  constructor() {
    this.list.replaceChildren(
      ...PHASES.map((phase, i) =>
        h(
          'li',
          { class: 'step pending', 'data-phase': phase },
          h('span', { class: 'mark', 'aria-hidden': 'true' }, MARK.pending),
          h('span', { class: 'name' }, `${i + 1}. ${PHASE_TITLES[phase]}`),
          h('span', { class: 'state' }, STATE_TEXT.pending),
          h('span', { class: 'time' }),
          h('p', { class: 'msg' }),
        ),
      ),
    );
  }

  render(view: JoinView, secrets: readonly string[]): void {
    for (const step of view.steps) {
      const li = this.list.querySelector<HTMLLIElement>(`li[data-phase="${step.phase}"]`);
      if (!li) continue;
      li.className = `step ${step.state}`;
      if (step.state === 'running') li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
      li.querySelector('.mark')!.textContent = MARK[step.state];
      li.querySelector('.state')!.textContent = STATE_TEXT[step.state];
      if (step.state === 'running' && !this.runningSince.has(step.phase)) this.runningSince.set(step.phase, performance.now());
      if (step.state !== 'running') this.runningSince.delete(step.phase);
      li.querySelector('.time')!.textContent = step.state === 'running' ? this.elapsed(step.phase) : formatDuration(step.durationMs);
      const attempt = step.attempt !== undefined && !/attempt \d+/.test(step.message ?? '') ? ` (attempt ${step.attempt})` : '';
      // A failed step's message is the error, which the failure view shows right below: once is enough.
      const message = step.state === 'failed' ? 'see below' : step.message ? step.message + attempt : '';
      li.querySelector('.msg')!.textContent = message ? scrub(message, secrets) : '';
    }
    const running = view.status === 'running';
    const cancel = byId<HTMLButtonElement>('cancel');
    cancel.disabled = !running;
    cancel.hidden = !running;
    if (running && this.timer === undefined) this.timer = window.setInterval(() => this.tick(), 1000);
    if (!running) this.stopTimer();
  }

  reset(): void {
    this.runningSince.clear();
    this.stopTimer();
  }

  private tick(): void {
    for (const phase of this.runningSince.keys()) {
      const time = this.list.querySelector(`li[data-phase="${phase}"] .time`);
      if (time) time.textContent = this.elapsed(phase);
    }
  }

  private elapsed(phase: Phase): string {
    const since = this.runningSince.get(phase);
    return since === undefined ? '' : `${Math.floor((performance.now() - since) / 1000)} s…`;
  }

  private stopTimer(): void {
    if (this.timer !== undefined) window.clearInterval(this.timer);
    this.timer = undefined;
  }
}
