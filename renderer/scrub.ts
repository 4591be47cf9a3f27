// Nothing that looks like a bootstrap token, and not the token being typed, is ever put
// into page text or diagnostics (a token pasted into the wrong field would otherwise be
// echoed by that field's error message). The rule: agent/contract/mask.ts. Control characters
// a server put into a message are made visible too (agent/contract/text.ts): textContent keeps
// them, and a copied diagnostics text would carry them into a terminal.
import { maskSecrets, printable } from '../agent/contract/index.js';

export function scrub(text: string, secrets: readonly string[] = []): string {
  return printable(maskSecrets(text, secrets, '[hidden]'), true);
}
