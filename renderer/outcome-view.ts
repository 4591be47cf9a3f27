// The two endings: success (who the cluster sees, until when, where the credential is)
// and failure (plain words, what to do next, the exit-code category, diagnostics).
import { CATEGORY_TITLES, NEXT_STEPS, PHASE_TITLES, printable, type DeviceFacts, type RotationUpdate } from '../agent/contract/index.js';
import { diagnosticsText } from './diagnostics.js';
import { byId, fillFacts } from './dom.js';
import { formatDuration, formatExpiry } from './format.js';
import { failureOf, type JoinView } from './join-view.js';
import { scrub } from './scrub.js';

/** The rotation loop's latest word, for the success view. */
export function rotationText(u: RotationUpdate | null | undefined): string | undefined {
  if (!u) return undefined;
  switch (u.state) {
    case 'scheduled':
      return u.nextRotation ? `${formatExpiry(u.nextRotation)}, automatic` : undefined;
    case 'rotating':
      return 'rotating now';
    case 'rotated':
      return `rotated; certificate now valid until ${u.notAfter ? formatExpiry(u.notAfter) : 'unknown'}`;
    case 'retrying':
      return `the last attempt failed (${u.message ?? 'unknown error'}); retrying ${u.nextRotation ? formatExpiry(u.nextRotation) : 'soon'}`;
    case 'stopped':
      return `not running: ${u.message ?? 'stopped'}`;
  }
}

export function renderSuccess(view: JoinView, rotation?: RotationUpdate | null): void {
  const r = view.result;
  if (!r?.ok) return;
  byId('success-title').textContent = printable(`Joined as node ${r.nodeName}`);
  fillFacts(byId('success-facts'), [
    ['Node identity', r.identity.username],
    ['Groups', r.identity.groups.join(', ')],
    ['Cluster', r.server],
    ['Certificate subject', r.certificate.subject],
    ['Certificate expires', formatExpiry(r.certificate.notAfter)],
    ['Next certificate rotation', rotationText(rotation)],
    ['Credential store', `${r.store.kind} (${r.store.reason})`],
    ['Stored at', r.store.location],
    ['Kubeconfig', r.store.kubeconfigPath],
    ['Certificate request', r.csrName],
    ['Took', formatDuration(r.durationMs)],
  ]);
}

export function renderFailure(view: JoinView, device: DeviceFacts | undefined, secrets: readonly string[]): string {
  const failure = failureOf(view);
  const cancelled = view.status === 'cancelled';
  byId('failure-title').textContent = cancelled ? 'The join was cancelled' : 'The join failed';
  if (cancelled && !failure) {
    byId('failure-message').textContent = 'You cancelled the join before it finished. Nothing was joined.';
    byId('failure-next').textContent = 'Start it again when you are ready.';
    byId('failure-category').textContent = '';
  } else if (failure) {
    const { error, phase } = failure;
    const where = phase ? ` (step: ${PHASE_TITLES[phase]})` : '';
    byId('failure-message').textContent = scrub(`${error.message}${where}`, secrets);
    byId('failure-next').textContent = scrub(error.hint ?? NEXT_STEPS[error.category], secrets);
    byId('failure-category').textContent = `Exit code ${error.exitCode}: ${error.category} (${CATEGORY_TITLES[error.category]})`;
  }
  const text = diagnosticsText(view, device, secrets);
  byId('diagnostics').textContent = text;
  return text;
}

/** Copies through the async clipboard API, falling back to a selection copy. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const pre = byId('diagnostics');
    const range = document.createRange();
    range.selectNodeContents(pre);
    const sel = window.getSelection();
    sel?.removeAllRanges();
    sel?.addRange(range);
    const ok = document.execCommand('copy');
    sel?.removeAllRanges();
    return ok;
  }
}
