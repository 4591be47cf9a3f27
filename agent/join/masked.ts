import { maskTokenShapes } from '../contract/index.js';

// Defense in depth for everything the engine emits: whatever a server sent back or a
// message quoted, a token-shaped string leaves the engine with its secret masked.

export const SECRET_MASK = '****************';

/** A copy of a JSON-like value with every string's token-shaped text masked. */
export function maskDeep<T>(value: T): T {
  if (typeof value === 'string') return maskTokenShapes(value, SECRET_MASK) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => maskDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v)])) as T;
  }
  return value;
}
