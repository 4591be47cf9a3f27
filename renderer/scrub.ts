// Nothing that looks like a bootstrap token, and not the token being typed, is ever put
// into page text or diagnostics (a token pasted into the wrong field would otherwise be
// echoed by that field's error message).
import { maskTokenShapes } from '../agent/contract/index.js';

export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    const t = s.trim();
    if (t.length >= 8) out = out.split(t).join('[hidden]');
    const secret = t.split('.')[1];
    if (secret !== undefined && secret.length >= 8) out = out.split(secret).join('[hidden]');
  }
  return maskTokenShapes(out, '[hidden]');
}
