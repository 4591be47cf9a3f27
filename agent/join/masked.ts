import { maskSecrets } from '../contract/index.js';

// Defense in depth for everything the engine emits: whatever a server sent back or a
// message quoted, the join's token values and any token-shaped string leave the engine
// masked (the one rule of agent/contract/mask.ts).

/** A copy of a JSON-like value with every string masked. */
export function maskDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return maskSecrets(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => maskDeep(v, secrets)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, secrets)])) as T;
  }
  return value;
}
