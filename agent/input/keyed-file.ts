import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import { KUBEADM_YAML } from './yaml.js';

// A small file of known top-level keys, YAML (or JSON), read the way kubeadm reads its files
// (go-yaml v2's booleans, yaml.ts; duplicate keys refused): the kiosk's provisioning file, the
// agent's configuration file and the provisioning file the agent takes its re-join token from.
// One reader, so the three say the same thing about the same mistake. A problem names its file
// and line and is built from the parser's first line only, never a code frame: a token may be
// in the file, and no message quotes a value.

export interface KeyedValue {
  /** The value as plain data (a scalar, a list, a mapping). */
  value: unknown;
  /** `path:line` of its key. */
  where: string;
}

export interface KeyedFile<K extends string> {
  values: Map<K, KeyedValue>;
  /** What is wrong, each with its line: a syntax error (then `values` is empty) or an unknown key. */
  problems: string[];
  /** False when nothing could be read: a syntax error, or the file is not a mapping. */
  readable: boolean;
}

/**
 * Reads `text` (the file at `path`) as a mapping of `keys`; `expected` lists them for the
 * message when the file is not a mapping. An empty file is a mapping with no keys only when
 * `allowEmpty` (the agent's configuration file); otherwise it is not a mapping.
 */
export function readKeyedFile<K extends string>(text: string, path: string, keys: readonly K[], expected: string, allowEmpty = false): KeyedFile<K> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...KUBEADM_YAML, lineCounter: lines, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const at = (offset: number | undefined): string => (offset === undefined ? path : `${path}:${lines.linePos(offset).line}`);
  const values = new Map<K, KeyedValue>();
  if (doc.errors.length > 0) return { values, problems: doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0] ?? e.code}`), readable: false };
  if (allowEmpty && (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null))) return { values, problems: [], readable: true };
  if (!isMap(doc.contents)) return { values, problems: [`${path}: expected a mapping of keys (${expected})`], readable: false };
  const problems: string[] = [];
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    const where = at(isScalar(pair.key) ? pair.key.range?.[0] : undefined);
    if (!(keys as readonly string[]).includes(key)) {
      problems.push(`${where}: unknown key "${key.slice(0, 40)}" (known: ${keys.join(', ')})`);
      continue;
    }
    const node = pair.value as { toJSON?: () => unknown } | null;
    values.set(key as K, { value: node && typeof node === 'object' && typeof node.toJSON === 'function' ? node.toJSON() : node, where });
  }
  return { values, problems, readable: true };
}

/** The kiosk's provisioning file's keys (main/provision.ts documents each). */
export const PROVISION_KEYS = ['endpoint', 'token', 'tokenFile', 'caCertHashes', 'nodeName', 'store', 'proxy', 'retryDelaySeconds'] as const;
export type ProvisionKey = (typeof PROVISION_KEYS)[number];
