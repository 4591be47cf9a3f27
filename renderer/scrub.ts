// Nothing that looks like a bootstrap token, and not the token being typed, is ever put
// into page text or diagnostics (a token pasted into the wrong field would otherwise be
// echoed by that field's error message). The rule: agent/contract/mask.ts.
import { maskSecrets } from '../agent/contract/index.js';

export function scrub(text: string, secrets: readonly string[] = []): string {
  return maskSecrets(text, secrets, '[hidden]');
}
