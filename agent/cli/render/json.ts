import type { JoinEvent } from '../../contract/index.js';
import type { CliContext } from '../context.js';

/** --output json: one JSON event per line (NDJSON); the last one is the result. */
export class JsonRenderer {
  constructor(private readonly ctx: CliContext) {}
  event(e: JoinEvent): void {
    this.ctx.stdout.write(`${JSON.stringify(e)}\n`);
  }
}
