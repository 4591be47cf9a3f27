import { maskTokenShapes, type JoinEvent } from '../../contract/index.js';
import type { CliContext } from '../context.js';
import { RetryFold } from './fold.js';

/**
 * JSON text safe for a terminal: JSON.stringify escapes C0 controls (ESC is `\u001b`) but
 * leaves DEL and the C1 controls (U+0080-U+009F; U+009B is a CSI to some terminals) raw.
 * Those can only stand inside a JSON string, where `\u00XX` is the same value.
 */
export function terminalJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** --output json: one JSON event per line (NDJSON); the last one is the result. */
export class JsonRenderer {
  private readonly fold = new RetryFold();
  constructor(private readonly ctx: CliContext) {}
  event(e: JoinEvent): void {
    // A repeated retry line is folded (./fold.ts): the reason, once, then when it changes.
    if (!this.fold.shows(e)) return;
    // The engine masks its events already; a JSON line is masked once more on its own.
    this.ctx.stdout.write(`${maskTokenShapes(terminalJson(e))}\n`);
  }
}
