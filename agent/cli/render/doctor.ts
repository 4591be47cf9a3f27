import { CATEGORY_TITLES, CHECK_TITLES, printable as p, type DoctorReport } from '../../contract/index.js';

// The doctor's report as text: each check with its status and evidence, then the most likely
// cause with its fix, then the others under one "Also:" heading. Summaries and evidence quote
// servers (a URL, key ids, certificate subjects): each goes through printable (agent/contract/text.ts).

const MARK = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' } as const;

export function renderDoctorText(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => CHECK_TITLES[c.id].length));
  const lines = [`kubejoin doctor ${p(report.endpoint)}`, ''];
  for (const c of report.checks) {
    lines.push(`  ${MARK[c.status]}  ${CHECK_TITLES[c.id].padEnd(width)}  ${p(c.summary)}`);
    for (const e of c.evidence) lines.push(`        ${' '.repeat(width)}  - ${p(e)}`);
  }
  lines.push('');
  const [top, ...rest] = report.causes;
  if (!top) {
    lines.push(`All checks passed in ${(report.durationMs / 1000).toFixed(1)} s.`);
    return `${lines.join('\n')}\n`;
  }
  const first = top.category ? 'Most likely cause' : 'Nothing failed; warning';
  lines.push(`${first} (${CHECK_TITLES[top.check]}): ${p(top.summary)}`);
  if (top.fix) lines.push(`  Fix: ${p(top.fix)}`);
  // Every other cause under one heading, in the order of -o json's causes, each fix under its
  // own cause (a fix already given above is not given again: agent/doctor/rank.ts).
  if (rest.length > 0) lines.push('', 'Also:');
  for (const c of rest) {
    lines.push(`  - ${CHECK_TITLES[c.check]}${c.category ? '' : ' (warning)'}: ${p(c.summary)}`);
    if (c.fix) lines.push(`    Fix: ${p(c.fix)}`);
  }
  if (top.category) lines.push('', `(exit ${report.exitCode}: ${CATEGORY_TITLES[top.category]})`);
  return `${lines.join('\n')}\n`;
}
