// Defense in depth: the engine promises never to put a token into an event, and main
// still masks every string it forwards or logs (the rule: agent/contract/mask.ts).
import { maskDeep, maskSecrets } from '../agent/contract/index.js';

export { secretsOf } from '../agent/contract/index.js';

export function redactText(text: string, secrets: readonly string[]): string {
  return maskSecrets(text, secrets, '[redacted]');
}

/** A deep copy of a JSON-like value with every string redacted. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  return maskDeep(value, secrets, '[redacted]');
}
