// The kiosk's provisioning file: YAML or JSON, read at start and before every retry.
//
//   endpoint: 10.0.0.1:6443                 # API server host:port (required)
//   token: abcdef.0123456789abcdef          # bootstrap token, or:
//   tokenFile: /etc/kubejoin/token          #   a file holding it (relative to this file)
//   caCertHashes: [sha256:<64 hex>]         # CA pin(s) (required; a single string is accepted)
//   nodeName: kiosk-12                      # optional, defaults to the host name
//   store: file                             # optional: auto | keychain | file
//   proxy: http://proxy.example:3128        # optional: HTTPS proxy (HTTP CONNECT); credentials never shown
//   retryDelaySeconds: 30                   # optional: first retry delay (doubles, at most 5 min)
//
// A malformed file yields every problem in it, each with its line, and never the token. The
// join fields go through the one JoinRequest builder (agent/input/), as --config and the
// flags do; the token's source, the retry delay and the file checks are the kiosk's own.
import { dirname, resolve } from 'node:path';
import { joinRequestProblems, type JoinRequest } from '../agent/contract/index.js';
import {
  buildJoinRequest,
  PROVISION_KEYS as KEYS,
  readBoundedFile,
  readKeyedFile,
  type JoinField,
  type JoinInput,
  type ProvisionKey as Key,
} from '../agent/index.js';
import { tooOpen, type ModeOf } from './file-mode.js';
import { redactText, secretsOf } from './redact.js';

/** Where the kiosk looks when no --provision is given. */
export function defaultProvisionPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  if (env.KUBEJOIN_PROVISION) return env.KUBEJOIN_PROVISION;
  if (platform === 'win32') return `${env.ProgramData ?? 'C:\\ProgramData'}\\kubejoin\\provision.yaml`;
  if (platform === 'darwin') return '/Library/Application Support/kubejoin/provision.yaml';
  return '/etc/kubejoin/provision.yaml';
}

export const DEFAULT_RETRY_DELAY_SECONDS = 30;

export interface Provision {
  request: JoinRequest;
  retryDelaySeconds: number;
}

export type ProvisionResult = { ok: true; provision: Provision } | { ok: false; missing: boolean; problems: string[] };

export async function loadProvision(
  path: string,
  read: (p: string) => Promise<string> = (p) => readBoundedFile(p, p),
  check: { platform: NodeJS.Platform; mode?: ModeOf } = { platform: process.platform },
): Promise<ProvisionResult> {
  let text: string;
  try {
    text = await read(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, missing: true, problems: [`no provisioning file at ${path}`] };
    return { ok: false, missing: false, problems: [code ? `${path}: cannot read it (${code})` : (err as Error).message] };
  }
  const open = await tooOpen(path, check.platform, check.mode);
  if (open) return { ok: false, missing: false, problems: [open] };
  return parseProvision(text, path, async (tokenPath) => {
    const full = resolve(dirname(path), tokenPath);
    const token = (await read(full)).trim();
    const tokenOpen = await tooOpen(full, check.platform, check.mode);
    if (tokenOpen) throw Object.assign(new Error(tokenOpen), { code: 'EMODE', explanation: tokenOpen });
    return token;
  });
}

export async function parseProvision(text: string, path: string, readTokenFile: (p: string) => Promise<string>): Promise<ProvisionResult> {
  // The file's syntax and keys are read as the agent's --provisioning-file reads them (agent/input/keyed-file.ts).
  const file = readKeyedFile(text, path, KEYS, 'endpoint, token or tokenFile, caCertHashes, …');
  const problems: string[] = file.problems.map((p) => redactText(p, []));
  if (!file.readable) return failed(problems);
  const say = (where: string, message: string): void => void problems.push(redactText(`${where}: ${message}`, []));
  const values = file.values;
  const lineOf = (k: Key): string => values.get(k)?.where ?? path;
  const reported = new Set<Key>();
  const sayKey = (k: Key, message: string): void => {
    reported.add(k);
    say(lineOf(k), message);
  };
  const str = (k: Key): string | undefined => {
    const v = values.get(k)?.value;
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    sayKey(k, `${k} must be a string`);
    return undefined;
  };

  const raw = (k: Key): unknown => values.get(k)?.value;
  const absent = (k: Key): boolean => raw(k) === undefined || raw(k) === null || raw(k) === '';
  if (absent('endpoint')) sayKey('endpoint', 'endpoint is missing (host:port of the API server)');
  if (absent('caCertHashes')) sayKey('caCertHashes', 'caCertHashes is missing: pin the cluster CA with at least one sha256:<hex>');
  else if (Array.isArray(raw('caCertHashes')) && (raw('caCertHashes') as unknown[]).length === 0)
    sayKey('caCertHashes', 'caCertHashes must be a list of sha256:<hex> strings');

  let token: string | undefined;
  const inlineToken = str('token');
  const tokenFile = str('tokenFile');
  if (inlineToken !== undefined && tokenFile !== undefined) sayKey('tokenFile', 'give either token or tokenFile, not both');
  else if (inlineToken !== undefined) token = inlineToken.trim();
  else if (tokenFile !== undefined) {
    try {
      token = await readTokenFile(tokenFile);
    } catch (err) {
      const explanation = (err as { explanation?: string }).explanation;
      sayKey('tokenFile', explanation ?? `tokenFile "${tokenFile}": cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else if (!reported.has('token') && !reported.has('tokenFile')) sayKey('token', 'token or tokenFile is missing (the bootstrap token)');

  const keyOf = (field: JoinField): Key => (field === 'token' ? (inlineToken !== undefined ? 'token' : 'tokenFile') : (field as Key));
  const input: JoinInput = {
    endpoint: raw('endpoint'),
    token,
    caCertHashes: raw('caCertHashes'),
    nodeName: raw('nodeName'),
    store: raw('store'),
    proxy: raw('proxy'),
  };
  const first = buildJoinRequest(input);
  const typeProblems = first.ok ? [] : first.problems;
  for (const p of typeProblems) sayKey(keyOf(p.field), `${keyOf(p.field)} ${p.message}`);
  // The well-typed fields still get their meaning checked (below).
  const built = first.ok ? first : buildJoinRequest(Object.fromEntries(Object.entries(input).filter(([f]) => !typeProblems.some((p) => p.field === f))));
  const request: JoinRequest = built.ok ? built.request : {};
  let retryDelaySeconds = DEFAULT_RETRY_DELAY_SECONDS;
  const delay = values.get('retryDelaySeconds')?.value;
  if (delay !== undefined) {
    if (typeof delay === 'number' && Number.isFinite(delay) && delay >= 1 && delay <= 3600) retryDelaySeconds = delay;
    else sayKey('retryDelaySeconds', 'retryDelaySeconds must be a number of seconds between 1 and 3600');
  }

  for (const p of joinRequestProblems(request)) {
    const key = keyOf(p.field);
    const tokenSaid = p.field === 'token' && (reported.has('token') || reported.has('tokenFile'));
    if (!reported.has(key) && !tokenSaid) say(lineOf(key), p.message);
  }
  if (problems.length > 0) return failed(problems.map((p) => redactText(p, secretsOf(request.token))));
  return { ok: true, provision: { request, retryDelaySeconds } };
}

function failed(problems: string[]): ProvisionResult {
  return { ok: false, missing: false, problems };
}
