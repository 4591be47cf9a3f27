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
    lines.push(
      `joined as: ${r.identity.username} (${r.identity.groups.join(', ')})`,
      `certificate expires: ${r.certificate.notAfter}`,
      `stored: ${r.store.kind} at ${r.store.location}`,
    );
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
