import { CHECK_IDS, EXIT_CODES, type DoctorCause, type DoctorCheck } from '../contract/index.js';

// The most likely cause first: failures before warnings; among failures a wrong clock
// first (it explains the TLS and certificate failures after it), then the earliest layer
// (a name that does not resolve explains everything after it). The first is the most likely
// cause; the rest are listed after it, once each.

const layer = (c: DoctorCheck): number => (c.category === 'clock' ? -1 : CHECK_IDS.indexOf(c.id));

export function rankCauses(checks: readonly DoctorCheck[]): DoctorCause[] {
  const failures = checks.filter((c) => c.status === 'fail').sort((a, b) => layer(a) - layer(b));
  const warnings = checks.filter((c) => c.status === 'warn');
  // Each check once, and each fix once: a later cause that the same step fixes (a wrong pin
  // fails the signature check and the pin check with one fix) keeps its summary, not the fix
  // again. The text (agent/cli/render/doctor.ts) and -o json show exactly this list.
  const seen = new Set<string>();
  const fixes = new Set<string>();
  const causes: DoctorCause[] = [];
  for (const c of [...failures, ...warnings]) {
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    const fix = c.fix && !fixes.has(c.fix) ? c.fix : undefined;
    if (fix) fixes.add(fix);
    causes.push({ check: c.id, summary: c.summary, ...(fix ? { fix } : {}), ...(c.category ? { category: c.category } : {}) });
  }
  return causes;
}

/** 0 when nothing failed, else the exit code of the top-ranked failure's category. */
export function exitCodeOf(causes: readonly DoctorCause[]): number {
  const top = causes.find((c) => c.category !== undefined);
  return top?.category ? EXIT_CODES[top.category] : 0;
}
