// "Run checks" on the failure screen: the same checks and report as `kubejoin doctor`,
// the most likely cause first, then every check with its status and evidence.
import { CATEGORY_TITLES, CHECK_TITLES, type DoctorReport, type RendererApi, type UiJoinRequest } from '../agent/contract/index.js';
import { announce, byId } from './dom.js';
import { scrub } from './scrub.js';

const MARK = { pass: '✔ pass', warn: '⚠ warn', fail: '✖ fail', skip: '– skip' } as const;

export function renderDoctorReport(report: DoctorReport, secrets: readonly string[]): void {
  const top = report.causes[0];
  byId('doctor-status').textContent = report.ok
    ? `All checks passed in ${(report.durationMs / 1000).toFixed(1)} s${top ? ' (with a warning)' : ''}.`
    : `Checks done in ${(report.durationMs / 1000).toFixed(1)} s: exit code ${report.exitCode}${top?.category ? ` (${CATEGORY_TITLES[top.category]})` : ''}.`;
  byId('doctor-cause').textContent = top ? scrub(`Most likely cause (${CHECK_TITLES[top.check]}): ${top.summary}`, secrets) : '';
  byId('doctor-fix').textContent = top?.fix ? scrub(`Fix: ${top.fix}`, secrets) : '';
  const list = byId('doctor-checks');
  list.replaceChildren(
    ...report.checks.map((c) => {
      const li = document.createElement('li');
      li.className = `check ${c.status}`;
      li.textContent = scrub(`${MARK[c.status]}: ${CHECK_TITLES[c.id]}: ${c.summary}`, secrets);
      if (c.evidence.length > 0) {
        const ul = document.createElement('ul');
        ul.replaceChildren(...c.evidence.map((e) => Object.assign(document.createElement('li'), { textContent: scrub(e, secrets) })));
        li.append(ul);
      }
      return li;
    }),
  );
}

/** Runs the checks for what the form holds (the token is sent only after the pin holds). */
export async function runChecks(api: RendererApi, request: UiJoinRequest, secrets: readonly string[]): Promise<void> {
  const button = byId<HTMLButtonElement>('run-checks');
  byId('doctor').hidden = false;
  byId('doctor-status').textContent = 'Running the checks (at most 15 s)…';
  byId('doctor-cause').textContent = '';
  byId('doctor-fix').textContent = '';
  byId('doctor-checks').replaceChildren();
  button.disabled = true;
  try {
    const { endpoint = '', caCertHashes, token, proxy } = request;
    const report = await api.doctor.run({ endpoint, ...(caCertHashes ? { caCertHashes } : {}), ...(token ? { token } : {}), ...(proxy ? { proxy } : {}) });
    renderDoctorReport(report, secrets);
    announce(byId('doctor-cause').textContent || byId('doctor-status').textContent || 'Checks done.');
  } catch (err) {
    byId('doctor-status').textContent = scrub(`The checks could not run: ${(err as Error).message}`, secrets);
  } finally {
    button.disabled = false;
    byId('doctor-title').focus();
  }
}
