import { PHASES, PHASE_TITLES, CATEGORY_TITLES, type JoinEvent, type JoinResult, type Phase } from '../../contract/index.js';
import type { CliContext } from '../context.js';

type StepState = 'pending' | 'running' | 'done' | 'failed';

/** Renders join events for people: a live step list on a TTY, one plain line per event otherwise. */
export class TextRenderer {
  private readonly states = new Map<Phase, { state: StepState; note: string; ms?: number }>();
  private readonly live: boolean;
  private readonly color: boolean;
  private drawnLines = 0;

  constructor(private readonly ctx: CliContext) {
    this.live = ctx.stdout.isTTY === true && ctx.env.TERM !== 'dumb';
    this.color = this.live && !ctx.env.NO_COLOR;
    for (const p of PHASES) this.states.set(p, { state: 'pending', note: '' });
  }

  private paint(code: string, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  event(e: JoinEvent): void {
    if (e.type === 'result') return this.result(e.result);
    const s = this.states.get(e.phase)!;
    if (e.type === 'started') s.state = 'running';
    else if (e.type === 'progress') s.note = e.message;
    else if (e.type === 'succeeded') Object.assign(s, { state: 'done', note: e.message ?? '', ms: e.durationMs });
    else Object.assign(s, { state: 'failed', note: e.error.message, ms: e.durationMs });
    if (this.live) return this.redraw();
    const title = PHASE_TITLES[e.phase];
    const line =
      e.type === 'started' ? `[${e.phase}] ${title}…` :
      e.type === 'progress' ? `[${e.phase}] ${e.message}` :
      e.type === 'succeeded' ? `[${e.phase}] done in ${e.durationMs} ms${e.message ? `: ${e.message}` : ''}` :
      `[${e.phase}] FAILED after ${e.durationMs} ms`;
    this.ctx.stdout.write(`${line}\n`);
  }

  private redraw(): void {
    const out: string[] = [];
    for (const p of PHASES) {
      const s = this.states.get(p)!;
      const mark = { pending: this.paint('2', '·'), running: this.paint('36', '›'), done: this.paint('32', '✔'), failed: this.paint('31', '✘') }[s.state];
      const ms = s.ms === undefined ? '' : this.paint('2', ` ${s.ms} ms`);
      const note = s.note && s.state !== 'failed' ? this.paint('2', ` — ${s.note}`) : '';
      out.push(`${mark} ${PHASE_TITLES[p]}${ms}${note}`);
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
          (r.device ? `  device:      ${r.device.hostname}, ${r.device.os} ${r.device.arch}, ${r.device.cores} cores, ${Math.round(r.device.memoryBytes / 2 ** 30)} GiB${r.device.primaryIp ? `, ${r.device.primaryIp}` : ''}${r.device.primaryMac ? ` (${r.device.primaryMac})` : ''}\n` : ''),
      );
      return;
    }
    const e = r.error;
    this.ctx.stderr.write(`\nerror: ${e.message}\n`);
    if (e.hint) this.ctx.stderr.write(`  ${e.hint}\n`);
    this.ctx.stderr.write(`  (exit ${e.exitCode}: ${CATEGORY_TITLES[e.category]}${r.phase ? `, in phase ${r.phase}` : ''})\n`);
  }
}
