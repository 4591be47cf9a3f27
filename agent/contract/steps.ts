import type { ErrorInfo } from './errors.js';
import type { JoinEvent } from './events.js';
import { PHASES, type Phase } from './phases.js';

// The one reducer from join events to the state of each step: the CLI's text view and the
// desktop window both show what it computes, so they cannot disagree.

export type StepState = 'pending' | 'running' | 'done' | 'failed';

export interface StepView {
  phase: Phase;
  state: StepState;
  durationMs?: number;
  /** The latest progress message, or the phase's summary once done, or the error's message. */
  message?: string;
  attempt?: number;
  error?: ErrorInfo;
}

/** Every phase, pending. */
export function pendingSteps(): StepView[] {
  return PHASES.map((phase) => ({ phase, state: 'pending' }));
}

/** The steps after one more event (a `result` event changes no step). */
export function applyStepEvent(steps: readonly StepView[], event: JoinEvent): StepView[] {
  if (event.type === 'result') return [...steps];
  return steps.map((step): StepView => {
    if (step.phase !== event.phase) return step;
    switch (event.type) {
      case 'started':
        return { phase: step.phase, state: 'running' };
      case 'progress':
        return { ...step, state: 'running', message: event.message, ...(event.attempt === undefined ? {} : { attempt: event.attempt }) };
      case 'succeeded':
        return { phase: step.phase, state: 'done', durationMs: event.durationMs, ...withMessage(event.message ?? step.message) };
      case 'failed':
        return { phase: step.phase, state: 'failed', durationMs: event.durationMs, message: event.error.message, error: event.error };
    }
  });
}

function withMessage(message: string | undefined): { message?: string } {
  return message === undefined ? {} : { message };
}
