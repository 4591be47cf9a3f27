import type { JoinRequest } from '../contract/index.js';
import { UsageError } from '../errors.js';
import { buildJoinRequest, type JoinInput } from '../input/join-request.js';
import type { FlagSpecs, FlagValues } from './command.js';
import { TOKEN_FLAGS } from './token-source.js';

// The flags of `kubejoin join`, with kubeadm's names where kubeadm has them, declared once as
// every command's are (./command.ts): `kubejoin join --help`, the CLI's parser and the parser
// of pasted command lines (./command-line.ts) all read these.

const DISCOVERY = "Discovery (kubeadm's flags)";
const NODE = 'Node and credential';

export const JOIN_FLAGS = {
  token: {
    ...TOKEN_FLAGS.token,
    section: DISCOVERY,
    help: 'bootstrap token for discovery and TLS bootstrap\n(visible in the process list: prefer --token-file or KUBEJOIN_TOKEN)',
  },
  'token-file': { ...TOKEN_FLAGS['token-file'], section: DISCOVERY },
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
  'discovery-timeout': {
    type: 'string',
    value: '<duration>',
    section: DISCOVERY,
    duration: {},
    help: 'how long discovery keeps retrying (default 5m)',
  },
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
  timeout: { type: 'string', value: '<duration>', section: NODE, duration: {}, help: 'the whole join (default 10m)' },
  output: { type: 'string', short: 'o', value: 'text|json', section: NODE, help: 'json: one event per line (NDJSON), the last is the result' },
} as const satisfies FlagSpecs;

export type JoinFlagValues = FlagValues<typeof JOIN_FLAGS>;

/** kubeadm join flags that do not apply to a node credential: accepted, ignored with a notice (true: takes a value). */
export const IGNORED_KUBEADM_FLAGS: Record<string, boolean> = {
  'cri-socket': true,
  'ignore-preflight-errors': true,
  'skip-phases': true,
  patches: true,
  rootfs: true,
  v: true,
  'dry-run': false,
};

/** Each request field's flag, to name it in messages. */
const FLAG_OF: { [K in keyof JoinRequest]-?: string } = {
  endpoint: '<host:port>',
  token: '--token',
  tlsBootstrapToken: '--tls-bootstrap-token',
  caCertHashes: '--discovery-token-ca-cert-hash',
  unsafeSkipCaVerification: '--discovery-token-unsafe-skip-ca-verification',
  discoveryFile: '--discovery-file',
  nodeName: '--node-name',
  store: '--store',
  certDir: '--cert-dir',
  kubeconfigOut: '--kubeconfig-out',
  force: '--force',
  proxy: '--proxy',
  discoveryTimeoutMs: '--discovery-timeout',
  timeoutMs: '--timeout',
};

/** The request fields the flags give (no files read): what the builder takes from them. */
export function joinInputOf(v: JoinFlagValues, endpoint: string | undefined): JoinInput {
  return {
    endpoint,
    token: v.token,
    tlsBootstrapToken: v['tls-bootstrap-token'],
    // Comma-separated too, as kubeadm's string-slice flag reads it.
    caCertHashes: v['discovery-token-ca-cert-hash']?.flatMap((h) => h.split(',')).filter(Boolean),
    unsafeSkipCaVerification: v['discovery-token-unsafe-skip-ca-verification'] || undefined,
    discoveryFile: v['discovery-file'],
    proxy: v.proxy,
    nodeName: v['node-name'],
    store: v.store,
    certDir: v['cert-dir'],
    kubeconfigOut: v['kubeconfig-out'],
    force: v.force || undefined,
    discoveryTimeoutMs: v['discovery-timeout'],
    timeoutMs: v.timeout,
  };
}

/** One request from layers of input (a --config file, then the flags); UsageError names the flag. */
export function joinRequestOf(...layers: JoinInput[]): JoinRequest {
  const built = buildJoinRequest(...layers);
  if (built.ok) return built.request;
  throw new UsageError(built.problems.map((p) => `${FLAG_OF[p.field]} ${p.message}`).join('\n'));
}
