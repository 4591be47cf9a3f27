import { dirname, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import { UsageError } from '../errors.js';
import { KUBEADM_YAML } from '../input/yaml.js';
import { readBoundedFile } from '../transport/bounded-file.js';
import type { CliContext } from './context.js';
import { readProblem, readTokenFile } from './token-source.js';

// `kubejoin agent --provisioning-file <path>`: the bootstrap token of a kiosk's provisioning file
// (main/provision.ts: `token`, or `tokenFile` relative to the file), read when a re-join needs
// it, as --token-file is. The file is read the kiosk's way (YAML with kubeadm's booleans, its
// keys and no others, duplicate keys refused); its other keys are the kiosk's (the agent joins
// again with the server, pins and node name it already has). Messages never quote a value.

/** The kiosk's keys (main/provision.ts). */
const KIOSK_KEYS = ['endpoint', 'token', 'tokenFile', 'caCertHashes', 'nodeName', 'store', 'proxy', 'retryDelaySeconds'];

export async function tokenFromProvisioningFile(path: string, ctx: Pick<CliContext, 'stdin'>): Promise<string> {
  let body: string;
  try {
    body = await readBoundedFile(path, `--provisioning-file ${path}`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read --provisioning-file ${path}: ${readProblem(err)}`);
  }
  // A full YAML parser, as the kiosk reads the file (this module is loaded when a re-join needs the token).
  const lines = new LineCounter();
  const doc = parseDocument(body, { ...KUBEADM_YAML, lineCounter: lines, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const at = (offset: number | undefined): string => (offset === undefined ? path : `${path}:${lines.linePos(offset).line}`);
  const first = doc.errors[0];
  // The parser's first line only: no code frame that could quote the token.
  if (first) throw new UsageError(`--provisioning-file ${at(first.pos[0])}: ${first.message.split('\n')[0] ?? first.code}`);
  if (!isMap(doc.contents)) throw new UsageError(`--provisioning-file ${path}: expected a mapping of keys (token or tokenFile, endpoint, …)`);
  const values = new Map<string, { value: unknown; where: string }>();
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    const where = at(isScalar(pair.key) ? pair.key.range?.[0] : undefined);
    if (!KIOSK_KEYS.includes(key)) throw new UsageError(`--provisioning-file ${where}: unknown key "${key.slice(0, 40)}" (known: ${KIOSK_KEYS.join(', ')})`);
    values.set(key, { value: isScalar(pair.value) ? pair.value.value : pair.value, where });
  }
  const token = values.get('token');
  const tokenFile = values.get('tokenFile');
  if (token && tokenFile) throw new UsageError(`--provisioning-file ${tokenFile.where}: give either token or tokenFile, not both`);
  if (tokenFile) {
    if (typeof tokenFile.value !== 'string' || tokenFile.value === '') throw new UsageError(`--provisioning-file ${tokenFile.where}: tokenFile must be a path`);
    return readTokenFile(resolve(dirname(path), tokenFile.value), ctx);
  }
  if (!token) throw new UsageError(`--provisioning-file ${path}: token or tokenFile is missing (the bootstrap token)`);
  if (typeof token.value !== 'string' || token.value.trim() === '') throw new UsageError(`--provisioning-file ${token.where}: token must be a string`);
  return token.value.trim();
}
