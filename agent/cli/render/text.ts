import {
  PHASE_TITLES,
  CATEGORY_TITLES,
  applyStepEvent,
  pendingSteps,
  printable as p,
  type JoinEvent,
  type JoinResult,
  type StepView,
} from '../../contract/index.js';
import type { CliContext } from '../context.js';
import { RetryFold } from './fold.js';

/** A step's duration as people read it: ms under a second, else seconds (as the messages say them). */
function took(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Renders join events for people: a live step list on a TTY, one plain line per event otherwise.
 * Every value from the engine goes through printable (`p`): it may hold a server's text, and a
 * control character in it would steer the terminal (agent/contract/text.ts).
 */
export class TextRenderer {
  private steps: StepView[] = pendingSteps();
  private readonly live: boolean;
  private readonly color: boolean;
  private drawnLines = 0;
  private readonly fold = new RetryFold();

  constructor(private readonly ctx: CliContext) {
    this.live = ctx.stdout.isTTY === true && ctx.env.TERM !== 'dumb';
    this.color = this.live && !ctx.env.NO_COLOR;
  }

  private paint(code: string, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  event(e: JoinEvent): void {
    if (e.type === 'result') return this.result(e.result);
    this.steps = applyStepEvent(this.steps, e);
    if (this.live) return this.redraw();
    if (!this.fold.shows(e)) return;
    const title = PHASE_TITLES[e.phase];
    const line =
      e.type === 'started'
        ? `[${e.phase}] ${title}…`
        : e.type === 'progress'
          ? `[${e.phase}] ${p(e.message)}`
          : e.type === 'succeeded'
            ? `[${e.phase}] done in ${took(e.durationMs)}${e.message ? `: ${p(e.message)}` : ''}`
            : `[${e.phase}] FAILED after ${took(e.durationMs)}`;
    this.ctx.stdout.write(`${line}\n`);
  }

  private redraw(): void {
    const out: string[] = [];
    for (const s of this.steps) {
      const mark = { pending: this.paint('2', '·'), running: this.paint('36', '›'), done: this.paint('32', '✔'), failed: this.paint('31', '✘') }[s.state];
      const ms = s.durationMs === undefined ? '' : this.paint('2', ` ${s.durationMs} ms`);
      const note = s.message && s.state !== 'failed' ? this.paint('2', ` — ${p(s.message)}`) : '';
      out.push(`${mark} ${PHASE_TITLES[s.phase]}${ms}${note}`);
    }
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F\x1b[J` : '';
    this.ctx.stdout.write(`${up}${out.join('\n')}\n`);
    this.drawnLines = out.length;
  }

  private result(r: JoinResult): void {
    if (r.ok && r.alreadyJoined) {
      this.ctx.stdout.write(
        `\nAlready joined as ${p(r.identity.username)} (groups: ${p(r.identity.groups.join(', '))}): nothing was requested.\n` +
          `  server:      ${p(r.server)}\n` +
          `  certificate: valid until ${p(r.certificate.notAfter)}\n` +
          `  stored in:   ${r.store.kind}: ${p(r.store.location)}\n` +
          `  kubeconfig:  ${p(r.store.kubeconfigPath)}\n` +
          `  To join again with a new key: kubejoin join … --force\n`,
      );
      return;
    }
    if (r.ok) {
      this.ctx.stdout.write(
        `\nJoined as ${p(r.identity.username)} (groups: ${p(r.identity.groups.join(', '))}) in ${r.durationMs} ms.\n` +
          `  server:      ${p(r.server)}\n` +
          `  certificate: valid until ${p(r.certificate.notAfter)} (${p(r.csrName)})\n` +
          `  stored in:   ${r.store.kind}: ${p(r.store.location)}\n` +
          `               ${p(r.store.reason)}\n` +
          `  kubeconfig:  ${p(r.store.kubeconfigPath)}\n` +
          (r.device
            ? p(
                `  device:      ${r.device.hostname}, ${r.device.os} ${r.device.arch}, ${r.device.cores} cores, ${Math.round(r.device.memoryBytes / 2 ** 30)} GiB${r.device.primaryIp ? `, ${r.device.primaryIp}` : ''}${r.device.primaryMac ? ` (${r.device.primaryMac})` : ''}`,
              ) + '\n'
            : ''),
      );
      return;
    }
    const e = r.error;
    this.ctx.stderr.write(`\nerror: ${p(e.message)}\n`);
    if (e.hint) this.ctx.stderr.write(`  ${p(e.hint)}\n`);
    this.ctx.stderr.write(`  (exit ${e.exitCode}: ${CATEGORY_TITLES[e.category]}${r.phase ? `, in phase ${r.phase}` : ''})\n`);
  }
}
