import { parseArgs } from 'node:util';
import { STORE_KINDS, timerDurationProblem, type JoinRequest, type StoreKind } from '../contract/index.js';
import { parseDuration } from '../protocol/duration.js';
import { UsageError, usageErrorFromParseArgs } from '../errors.js';

// The flags of `kubejoin join`, with kubeadm's names where kubeadm has them. Shared by
// the CLI and the parser of pasted command lines, so both accept the same thing.

const DISCOVERY = "Discovery (kubeadm's flags)";
const NODE = 'Node and credential';

/**
 * The join flags, each declared once with its help: the CLI generates `kubejoin join --help`
 * from them, and the parser of pasted lines accepts exactly these.
 */
export const JOIN_FLAGS = {
  token: {
    type: 'string',
    value: '<id.secret>',
    section: DISCOVERY,
    help: 'bootstrap token for discovery and TLS bootstrap\n(visible in the process list: prefer --token-file or KUBEJOIN_TOKEN)',
  },
  'token-file': { type: 'string', value: '<path|->', section: DISCOVERY, help: 'read the token from a file, or from stdin with "-"' },
  'discovery-token-ca-cert-hash': {
    type: 'string',
    multiple: true,
    value: 'sha256:<hex>',
    section: DISCOVERY,
    help: 'pin of the cluster CA public key (repeatable)',
  },
  'discovery-token-unsafe-skip-ca-verification': {
    type: 'boolean',
    section: DISCOVERY,
    help: 'join without a CA pin (the token alone vouches for the cluster)',
  },
  'discovery-file': { type: 'string', value: '<path|https-url>', section: DISCOVERY, help: 'a kubeconfig giving server and CA instead of token discovery' },
  'tls-bootstrap-token': { type: 'string', value: '<id.secret>', section: DISCOVERY, help: 'token for the certificate request (default: --token)' },
  config: { type: 'string', value: '<file>', section: DISCOVERY, help: 'kubeadm JoinConfiguration (v1beta3 or v1beta4); flags override it' },
  'discovery-timeout': { type: 'string', value: '<duration>', section: DISCOVERY, help: 'how long discovery keeps retrying (default 5m)' },
  proxy: {
    type: 'string',
    value: '<url>',
    section: DISCOVERY,
    help: 'HTTPS proxy (HTTP CONNECT), http[s]://[user:password@]host:port\n(default: HTTPS_PROXY or https_proxy; NO_PROXY applies either way)',
  },
  'node-name': { type: 'string', value: '<name>', section: NODE, help: 'node name (default: the host name, lower-cased)' },
  store: { type: 'string', value: 'auto|keychain|file', section: NODE, help: 'where the credential goes (default auto: keychain if reachable)' },
  'cert-dir': {
    type: 'string',
    value: '<dir>',
    section: NODE,
    help: 'file store: directory of kubelet-client-current.pem\n(default /var/lib/kubelet/pki as root, else $XDG_STATE_HOME/kubejoin/pki)',
  },
  'kubeconfig-out': {
    type: 'string',
    value: '<file>',
    section: NODE,
    help: 'kubeconfig for the new credential\n(default /etc/kubernetes/kubelet.conf as root, else $XDG_STATE_HOME/kubejoin/kubelet.conf)',
  },
  force: {
    type: 'boolean',
    section: NODE,
    help: 'join again even when a valid credential for this node and cluster is stored\n(it stays in place until the new one is verified)',
  },
  timeout: { type: 'string', value: '<duration>', section: NODE, help: 'the whole join (default 10m)' },
  output: { type: 'string', short: 'o', value: 'text|json', section: NODE, help: 'json: one event per line (NDJSON), the last is the result' },
} as const;

type JoinFlagSpecs = typeof JOIN_FLAGS;
/** The flags' values as parseArgs returns them. */
export type JoinFlagValues = {
  -readonly [K in keyof JoinFlagSpecs]?: JoinFlagSpecs[K]['type'] extends 'boolean' ? boolean : JoinFlagSpecs[K] extends { multiple: true } ? string[] : string;
};

/** kubeadm join flags that make no sense for kubejoin: accepted in a pasted line, ignored with a warning. */
export const IGNORED_KUBEADM_FLAGS: Record<string, boolean> = {
  'cri-socket': true,
  'ignore-preflight-errors': true,
  'skip-phases': true,
  patches: true,
  v: true,
  'dry-run': false,
};

export interface JoinFlags {
  request: JoinRequest;
  tokenFile?: string;
  configFile?: string;
  output: 'text' | 'json';
  /** The token came from --token (visible in the process list). */
  tokenOnCommandLine: boolean;
}

function duration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new UsageError(`--${flag} "${value}" is not a positive duration: use e.g. 30s, 5m or 1h30m`);
  const problem = timerDurationProblem(ms);
  if (problem) throw new UsageError(`--${flag} "${value}" ${problem}`);
  return ms;
}

/** Parses join arguments (the pasted-line parser). Throws UsageError on unknown flags or bad values. */
export function parseJoinArgs(argv: string[]): JoinFlags {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: JOIN_FLAGS, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageErrorFromParseArgs(err);
  }
  if (parsed.positionals.length > 1)
    throw new UsageError(`expected one API server endpoint, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`);
  return joinFlagsFrom(parsed.values, parsed.positionals[0]);
}

/** Checks parsed join flags and turns them into a request (flags only: no files read yet). */
export function joinFlagsFrom(v: JoinFlagValues, endpoint: string | undefined): JoinFlags {
  const output = v.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output "${output}" is not supported: use text or json`);
  if (v.store !== undefined && !STORE_KINDS.includes(v.store as StoreKind)) {
    throw new UsageError(`--store "${v.store}" is not supported: use auto, keychain or file`);
  }
  const request: JoinRequest = {};
  if (endpoint !== undefined) request.endpoint = endpoint;
  if (v.token !== undefined) request.token = v.token;
  if (v['tls-bootstrap-token'] !== undefined) request.tlsBootstrapToken = v['tls-bootstrap-token'];
  if (v['discovery-token-ca-cert-hash']) request.caCertHashes = v['discovery-token-ca-cert-hash'].flatMap((h) => h.split(',')).filter(Boolean);
  if (v['discovery-token-unsafe-skip-ca-verification']) request.unsafeSkipCaVerification = true;
  if (v['discovery-file'] !== undefined) request.discoveryFile = v['discovery-file'];
  if (v.proxy !== undefined) request.proxy = v.proxy;
  if (v['node-name'] !== undefined) request.nodeName = v['node-name'];
  if (v.store !== undefined) request.store = v.store as StoreKind;
  if (v['cert-dir'] !== undefined) request.certDir = v['cert-dir'];
  if (v['kubeconfig-out'] !== undefined) request.kubeconfigOut = v['kubeconfig-out'];
  if (v.force) request.force = true;
  const discoveryTimeoutMs = duration('discovery-timeout', v['discovery-timeout']);
  if (discoveryTimeoutMs !== undefined) request.discoveryTimeoutMs = discoveryTimeoutMs;
  const timeoutMs = duration('timeout', v.timeout);
  if (timeoutMs !== undefined) request.timeoutMs = timeoutMs;
  const flags: JoinFlags = { request, output, tokenOnCommandLine: v.token !== undefined || v['tls-bootstrap-token'] !== undefined };
  if (v['token-file'] !== undefined) flags.tokenFile = v['token-file'];
  if (v.config !== undefined) flags.configFile = v.config;
  return flags;
}
