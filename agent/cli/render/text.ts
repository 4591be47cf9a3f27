import { PHASE_TITLES, CATEGORY_TITLES, applyStepEvent, pendingSteps, type JoinEvent, type JoinResult, type StepView } from '../../contract/index.js';
import type { CliContext } from '../context.js';

/** Renders join events for people: a live step list on a TTY, one plain line per event otherwise. */
export class TextRenderer {
  private steps: StepView[] = pendingSteps();
  private readonly live: boolean;
  private readonly color: boolean;
  private drawnLines = 0;

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
    const title = PHASE_TITLES[e.phase];
    const line =
      e.type === 'started'
        ? `[${e.phase}] ${title}…`
        : e.type === 'progress'
          ? `[${e.phase}] ${e.message}`
          : e.type === 'succeeded'
            ? `[${e.phase}] done in ${e.durationMs} ms${e.message ? `: ${e.message}` : ''}`
            : `[${e.phase}] FAILED after ${e.durationMs} ms`;
    this.ctx.stdout.write(`${line}\n`);
  }

  private redraw(): void {
    const out: string[] = [];
    for (const s of this.steps) {
      const mark = { pending: this.paint('2', '·'), running: this.paint('36', '›'), done: this.paint('32', '✔'), failed: this.paint('31', '✘') }[s.state];
      const ms = s.durationMs === undefined ? '' : this.paint('2', ` ${s.durationMs} ms`);
      const note = s.message && s.state !== 'failed' ? this.paint('2', ` — ${s.message}`) : '';
      out.push(`${mark} ${PHASE_TITLES[s.phase]}${ms}${note}`);
    }
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F\x1b[J` : '';
    this.ctx.stdout.write(`${up}${out.join('\n')}\n`);
    this.drawnLines = out.length;
  }

  private result(r: JoinResult): void {
    if (r.ok && r.alreadyJoined) {
      this.ctx.stdout.write(
        `\nAlready joined as ${r.identity.username} (groups: ${r.identity.groups.join(', ')}): nothing was requested.\n` +
          `  server:      ${r.server}\n` +
          `  certificate: valid until ${r.certificate.notAfter}\n` +
          `  stored in:   ${r.store.kind}: ${r.store.location}\n` +
          `  kubeconfig:  ${r.store.kubeconfigPath}\n` +
          `  To join again with a new key: kubejoin join … --force\n`,
      );
      return;
    }
    if (r.ok) {
      this.ctx.stdout.write(
        `\nJoined as ${r.identity.username} (groups: ${r.identity.groups.join(', ')}) in ${r.durationMs} ms.\n` +
          `  server:      ${r.server}\n` +
          `  certificate: valid until ${r.certificate.notAfter} (${r.csrName})\n` +
          `  stored in:   ${r.store.kind}: ${r.store.location}\n` +
          `               ${r.store.reason}\n` +
          `  kubeconfig:  ${r.store.kubeconfigPath}\n` +
          (r.device
            ? `  device:      ${r.device.hostname}, ${r.device.os} ${r.device.arch}, ${r.device.cores} cores, ${Math.round(r.device.memoryBytes / 2 ** 30)} GiB${r.device.primaryIp ? `, ${r.device.primaryIp}` : ''}${r.device.primaryMac ? ` (${r.device.primaryMac})` : ''}\n`
            : ''),
      );
      return;
    }
    const e = r.error;
    this.ctx.stderr.write(`\nerror: ${e.message}\n`);
    if (e.hint) this.ctx.stderr.write(`  ${e.hint}\n`);
    this.ctx.stderr.write(`  (exit ${e.exitCode}: ${CATEGORY_TITLES[e.category]}${r.phase ? `, in phase ${r.phase}` : ''})\n`);
  }
}
