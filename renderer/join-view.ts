// The join as the window shows it, rebuilt from engine events by the contract's step
// reducer (so a reloaded window replays the snapshot's events and lands on the same screen).
import {
  applyStepEvent,
  pendingSteps,
  type ErrorInfo,
  type JoinEvent,
  type JoinResult,
  type JoinSnapshot,
  type JoinStatus,
  type Phase,
  type StepView,
} from '../agent/contract/index.js';

export type { StepState, StepView } from '../agent/contract/index.js';

export interface JoinView {
  joinId: number;
  status: JoinStatus;
  steps: StepView[];
  result?: JoinResult;
  request?: JoinSnapshot['request'];
}

export function emptyView(joinId = 0, status: JoinStatus = 'idle'): JoinView {
  return { joinId, status, steps: pendingSteps() };
}

export function applyEvent(view: JoinView, event: JoinEvent): JoinView {
  return event.type === 'result' ? { ...view, result: event.result } : { ...view, steps: applyStepEvent(view.steps, event) };
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
