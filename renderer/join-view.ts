// The join as the window shows it, rebuilt from engine events by a pure reducer (so a
// reloaded window replays the snapshot's events and lands on the same screen).
import { PHASES, type ErrorInfo, type JoinEvent, type JoinResult, type JoinSnapshot, type JoinStatus, type Phase } from '../agent/contract/index.js';

export type StepState = 'pending' | 'running' | 'done' | 'failed';

export interface StepView {
  phase: Phase;
  state: StepState;
  durationMs?: number;
  /** The latest progress message, or the phase's summary once done. */
  message?: string;
  attempt?: number;
  error?: ErrorInfo;
}

export interface JoinView {
  joinId: number;
  status: JoinStatus;
  steps: StepView[];
  result?: JoinResult;
  request?: JoinSnapshot['request'];
}

export function emptyView(joinId = 0, status: JoinStatus = 'idle'): JoinView {
  return { joinId, status, steps: PHASES.map((phase) => ({ phase, state: 'pending' })) };
}

export function applyEvent(view: JoinView, event: JoinEvent): JoinView {
  if (event.type === 'result') return { ...view, result: event.result };
  const steps = view.steps.map((step): StepView => {
    if (step.phase !== event.phase) return step;
    switch (event.type) {
      case 'started':
        return { phase: step.phase, state: 'running' };
      case 'progress':
        return { ...step, state: 'running', message: event.message, ...(event.attempt === undefined ? {} : { attempt: event.attempt }) };
      case 'succeeded':
        return { phase: step.phase, state: 'done', durationMs: event.durationMs, message: event.message ?? step.message };
      case 'failed':
        return { phase: step.phase, state: 'failed', durationMs: event.durationMs, message: event.error.message, error: event.error };
    }
  });
  return { ...view, steps };
}

export function viewFromSnapshot(snap: JoinSnapshot): JoinView {
  const base: JoinView = { ...emptyView(snap.joinId, snap.status), ...(snap.request ? { request: snap.request } : {}) };
  return snap.events.reduce(applyEvent, base);
}

/** The error to show for a failed join: the result's, else the failed step's. */
export function failureOf(view: JoinView): { error: ErrorInfo; phase?: Phase } | undefined {
  if (view.result && !view.result.ok) return { error: view.result.error, ...(view.result.phase ? { phase: view.result.phase } : {}) };
  const failed = view.steps.find((s) => s.state === 'failed' && s.error);
  return failed?.error ? { error: failed.error, phase: failed.phase } : undefined;
}
