import { parseArgs } from 'node:util';
import { STORE_KINDS, timerDurationProblem, type JoinRequest, type StoreKind } from '../contract/index.js';
import { parseDuration } from '../protocol/duration.js';
import { UsageError } from '../errors.js';

// The flags of `kubejoin join`, with kubeadm's names where kubeadm has them. Shared by
// the CLI and the parser of pasted command lines, so both accept the same thing.

export const JOIN_FLAGS = {
  token: { type: 'string' },
  'tls-bootstrap-token': { type: 'string' },
  'discovery-token-ca-cert-hash': { type: 'string', multiple: true },
  'discovery-token-unsafe-skip-ca-verification': { type: 'boolean' },
  'discovery-file': { type: 'string' },
  'node-name': { type: 'string' },
  config: { type: 'string' },
  'token-file': { type: 'string' },
  store: { type: 'string' },
  'cert-dir': { type: 'string' },
  'kubeconfig-out': { type: 'string' },
  'discovery-timeout': { type: 'string' },
  timeout: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** kubeadm join flags that make no sense for kubejoin: accepted in a pasted line, ignored with a warning. */
export const IGNORED_KUBEADM_FLAGS: Record<string, boolean> = {
  'cri-socket': true,
  'ignore-preflight-errors': true,
  'skip-phases': true,
  'patches': true,
  'v': true,
  'dry-run': false,
};

export interface JoinFlags {
  request: JoinRequest;
  tokenFile?: string;
  configFile?: string;
  output: 'text' | 'json';
  /** The token came from --token (visible in the process list). */
  tokenOnCommandLine: boolean;
  help: boolean;
}

function duration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new UsageError(`--${flag} "${value}" is not a positive duration: use e.g. 30s, 5m or 1h30m`);
  const problem = timerDurationProblem(ms);
  if (problem) throw new UsageError(`--${flag} "${value}" ${problem}`);
  return ms;
}

/** Parses join arguments. Throws UsageError on unknown flags or bad values. */
export function parseJoinArgs(argv: string[]): JoinFlags {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: JOIN_FLAGS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^Unknown option '(.*)'.*$/s, "unknown flag $1"));
  }
  const { values: v, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`expected one API server endpoint, got ${positionals.length}: ${positionals.join(' ')}`);
  const output = v.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output "${output}" is not supported: use text or json`);
  if (v.store !== undefined && !STORE_KINDS.includes(v.store as StoreKind)) {
    throw new UsageError(`--store "${v.store}" is not supported: use auto, keychain or file`);
  }
  const request: JoinRequest = {};
  if (positionals[0] !== undefined) request.endpoint = positionals[0];
  if (v.token !== undefined) request.token = v.token;
  if (v['tls-bootstrap-token'] !== undefined) request.tlsBootstrapToken = v['tls-bootstrap-token'];
  if (v['discovery-token-ca-cert-hash']) request.caCertHashes = v['discovery-token-ca-cert-hash'].flatMap((h) => h.split(',')).filter(Boolean);
  if (v['discovery-token-unsafe-skip-ca-verification']) request.unsafeSkipCaVerification = true;
  if (v['discovery-file'] !== undefined) request.discoveryFile = v['discovery-file'];
  if (v['node-name'] !== undefined) request.nodeName = v['node-name'];
  if (v.store !== undefined) request.store = v.store as StoreKind;
  if (v['cert-dir'] !== undefined) request.certDir = v['cert-dir'];
  if (v['kubeconfig-out'] !== undefined) request.kubeconfigOut = v['kubeconfig-out'];
  const discoveryTimeoutMs = duration('discovery-timeout', v['discovery-timeout']);
  if (discoveryTimeoutMs !== undefined) request.discoveryTimeoutMs = discoveryTimeoutMs;
  const timeoutMs = duration('timeout', v.timeout);
  if (timeoutMs !== undefined) request.timeoutMs = timeoutMs;
  const flags: JoinFlags = { request, output, tokenOnCommandLine: v.token !== undefined || v['tls-bootstrap-token'] !== undefined, help: v.help === true };
  if (v['token-file'] !== undefined) flags.tokenFile = v['token-file'];
  if (v.config !== undefined) flags.configFile = v.config;
  return flags;
}
