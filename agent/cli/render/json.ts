import { maskTokenShapes, type JoinEvent } from '../../contract/index.js';
import type { CliContext } from '../context.js';

/** --output json: one JSON event per line (NDJSON); the last one is the result. */
export class JsonRenderer {
  constructor(private readonly ctx: CliContext) {}
  event(e: JoinEvent): void {
    // The engine masks its events already; a JSON line is masked once more on its own.
    this.ctx.stdout.write(`${maskTokenShapes(JSON.stringify(e))}\n`);
  }
}
