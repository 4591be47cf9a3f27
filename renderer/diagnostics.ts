// The text behind "copy diagnostics": what an operator pastes into a ticket. Built only
// from the join view (events carry no token), the shown request (no token) and device
// facts; scrubbed once more for anything token-shaped.
import { CATEGORY_TITLES, PHASE_TITLES, type DeviceFacts } from '../agent/contract/index.js';
import { formatBytes, formatDuration } from './format.js';
import { failureOf, type JoinView } from './join-view.js';
import { scrub } from './scrub.js';

export function diagnosticsText(view: JoinView, device: DeviceFacts | undefined, secrets: readonly string[], now = new Date()): string {
  const lines: string[] = ['kubejoin diagnostics', `time: ${now.toISOString()}`, `status: ${view.status}`];
  const failure = failureOf(view);
  if (failure) {
    const { error, phase } = failure;
    lines.push(`exit code: ${error.exitCode} (${error.category}: ${CATEGORY_TITLES[error.category]})`);
    if (phase) lines.push(`failed step: ${phase} (${PHASE_TITLES[phase]})`);
    lines.push(`error: ${error.message}`);
    if (error.hint) lines.push(`next step: ${error.hint}`);
  }
  const req = view.request;
  if (req) {
    lines.push('request:');
    if (req.endpoint) lines.push(`  endpoint: ${req.endpoint}`);
    for (const pin of req.caCertHashes ?? []) lines.push(`  CA cert hash: ${pin}`);
    if (req.unsafeSkipCaVerification) lines.push('  CA verification: skipped (unsafe)');
    lines.push(`  node name: ${req.nodeName ?? '(host name)'}`, `  store: ${req.store ?? 'auto'}`);
  }
  lines.push('steps:');
  for (const s of view.steps) {
    const attempt = s.attempt === undefined ? '' : ` [attempt ${s.attempt}]`;
    lines.push(`  ${s.phase.padEnd(20)} ${s.state.padEnd(8)} ${formatDuration(s.durationMs).padStart(9)}${s.message ? `  ${s.message}${attempt}` : ''}`);
  }
  if (view.result?.ok) {
    const r = view.result;
    lines.push(`joined as: ${r.identity.username} (${r.identity.groups.join(', ')})`, `certificate expires: ${r.certificate.notAfter}`, `stored: ${r.store.kind} at ${r.store.location}`);
  }
  const facts = device ?? view.result?.device;
  if (facts) {
    lines.push(
      'device:',
      `  hostname: ${facts.hostname}`,
      `  os: ${facts.os} (${facts.arch})`,
      `  cpu: ${facts.cpu}, ${facts.cores} cores; memory ${formatBytes(facts.memoryBytes)}`,
      `  primary MAC/IP: ${facts.primaryMac ?? '-'} / ${facts.primaryIp ?? '-'}`,
    );
  }
  return scrub(lines.join('\n'), secrets) + '\n';
}

/** What to do next when the engine gave no hint, by category. */
export const NEXT_STEPS: Readonly<Record<string, string>> = {
  'invalid-input': 'Check the values in the form (or the pasted command) and try again.',
  'untrusted-cluster': 'Check the CA cert hash with "kubejoin ca-hash" on the control plane. If it differs from the one you were given, do not trust this server.',
  'token-refused': 'The token may have expired or been deleted: create a new one on the control plane ("kubejoin token create") and join again.',
  'certificate-denied': 'Ask a cluster administrator why the certificate request was denied, then join again.',
  timeout: 'Check that the API server is reachable from this machine and that certificate requests get approved, then try again.',
  'store-failed': 'Choose another credential store (file or keychain) or check the permissions of the credential location.',
  internal: 'Copy the diagnostics and report the problem.',
};
