import { printable, type CredentialStatus } from '../../contract/index.js';

// `kubejoin status` for people: one fact per line, aligned. Values (the server, the subject,
// what the cluster answered) go through printable (agent/contract/text.ts).

function left(seconds: number): string {
  const s = Math.abs(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const text = d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
  return seconds < 0 ? `expired ${text} ago` : `${text} left`;
}

export function renderStatusText(s: CredentialStatus): string {
  const rows: [string, string][] = [['Joined', s.state === 'not-joined' ? 'no' : s.state === 'expired' ? 'no longer (certificate expired)' : 'yes']];
  if (s.nodeName) rows.push(['Node', s.nodeName]);
  if (s.server) rows.push(['Server', s.server]);
  if (s.identity) rows.push(['Identity', `${s.identity.username} (${s.identity.groups.join(', ')}), as the cluster sees it now`]);
  else if (s.identityProblem) rows.push(['Identity', `not checked: ${s.identityProblem}; showing what is stored`]);
  const c = s.certificate;
  if (c) {
    rows.push(['Subject', c.subject], ['Serial', c.serialNumber], ['Not before', c.notBefore], ['Not after', `${c.notAfter} (${left(c.secondsLeft)})`]);
    if (s.state !== 'expired') rows.push(['Rotation due', c.rotationDue]);
  }
  if (s.store) rows.push(['Store', `${s.store.kind}: ${s.store.location}`], ['Kubeconfig', s.store.kubeconfigPath]);
  for (const p of s.pending ?? []) {
    const what = p.kind === 'join' ? 'join' : 'rotation';
    const state = p.state && p.state !== 'unknown' ? ` (${p.state})` : '';
    rows.push([`Pending ${what}`, `certificate request ${p.csrName ?? '(name unknown)'}${state}; key kept in ${p.keyLocation}`]);
    if (p.approveCommand && (p.state === undefined || p.state === 'pending' || p.state === 'unknown')) rows.push(['  approve with', p.approveCommand]);
  }
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${printable(v)}`);
  lines.push('', printable(`${s.summary[0]!.toUpperCase()}${s.summary.slice(1)}.`));
  if (s.hint) lines.push(printable(s.hint));
  return `${lines.join('\n')}\n`;
}
