import { CHECK_IDS, EXIT_CODES, type DoctorCause, type DoctorCheck } from '../contract/index.js';

// The most likely cause first: failures before warnings; among failures a wrong clock
// first (it explains the TLS and certificate failures after it), then the earliest layer
// (a name that does not resolve explains everything after it).

const layer = (c: DoctorCheck): number => (c.category === 'clock' ? -1 : CHECK_IDS.indexOf(c.id));

export function rankCauses(checks: readonly DoctorCheck[]): DoctorCause[] {
  const failures = checks.filter((c) => c.status === 'fail').sort((a, b) => layer(a) - layer(b));
  const warnings = checks.filter((c) => c.status === 'warn');
  return [...failures, ...warnings].map((c) => ({
    check: c.id,
    summary: c.summary,
    ...(c.fix ? { fix: c.fix } : {}),
    ...(c.category ? { category: c.category } : {}),
  }));
}

/** 0 when nothing failed, else the exit code of the top-ranked failure's category. */
export function exitCodeOf(causes: readonly DoctorCause[]): number {
  const top = causes.find((c) => c.category !== undefined);
  return top?.category ? EXIT_CODES[top.category] : 0;
}
