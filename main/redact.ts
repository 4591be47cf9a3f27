// Defense in depth: the engine promises never to put a token into an event, and main
// still scrubs every string it forwards or logs of the secrets it knows.
import { maskTokenShapes } from '../agent/contract/index.js';

/** The strings to scrub for a token `<id>.<secret>`: the whole token and its secret part. */
export function secretsOf(...tokens: (string | undefined)[]): string[] {
  const out = new Set<string>();
  for (const token of tokens) {
    const t = token?.trim();
    if (!t) continue;
    out.add(t);
    const secret = t.split('.')[1];
    if (secret !== undefined && secret.length >= 8) out.add(secret);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return maskTokenShapes(out, '[redacted]');
}

/** A deep copy of a JSON-like value with every string redacted. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redactText(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, secrets)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)])) as T;
  }
  return value;
}
