import { parseAllDocuments } from 'yaml';
import { maskTokenShapes, type JoinRequest } from '../contract/index.js';
import { UsageError } from '../errors.js';
import { buildJoinRequest, type JoinInput } from './join-request.js';
import { KUBEADM_YAML } from './yaml.js';

// kubeadm's JoinConfiguration (kubeadm.k8s.io/v1beta3 and v1beta4), read as kubeadm reads it:
// YAML 1.1 booleans (./yaml.ts), the fields of its own version only. Fields kubeadm does not
// know are named in a warning (kubeadm warns too); kubeadm fields a credential join has no use
// for (criSocket, taints, …) are named in another. The join fields go through the one builder.

type Known = { readonly [key: string]: Known | true };

const BOOTSTRAP_TOKEN = { token: true, apiServerEndpoint: true, caCertHashes: true, unsafeSkipCAVerification: true } as const;
const NODE_REGISTRATION = { name: true, criSocket: true, taints: true, kubeletExtraArgs: true, ignorePreflightErrors: true, imagePullPolicy: true } as const;
const COMMON = { apiVersion: true, kind: true, caCertPath: true, controlPlane: true, skipPhases: true, patches: { directory: true } } as const;

/** Each version's fields (kubeadm's types.go), and where the request's fields are in it. */
const VERSIONS: Record<string, { known: Known; fields: { [K in keyof JoinRequest]?: string } }> = {
  'kubeadm.k8s.io/v1beta3': {
    known: {
      ...COMMON,
      nodeRegistration: NODE_REGISTRATION,
      discovery: { bootstrapToken: BOOTSTRAP_TOKEN, file: { kubeConfigPath: true }, tlsBootstrapToken: true, timeout: true },
    },
    fields: { discoveryTimeoutMs: 'discovery.timeout' },
  },
  'kubeadm.k8s.io/v1beta4': {
    known: {
      ...COMMON,
      dryRun: true,
      nodeRegistration: { ...NODE_REGISTRATION, imagePullSerial: true },
      discovery: { bootstrapToken: BOOTSTRAP_TOKEN, file: { kubeConfigPath: true }, tlsBootstrapToken: true },
      timeouts: {
        controlPlaneComponentHealthCheck: true,
        kubeletHealthCheck: true,
        kubernetesAPICall: true,
        etcdAPICall: true,
        tlsBootstrap: true,
        discovery: true,
        upgradeManifests: true,
      },
    },
    fields: { discoveryTimeoutMs: 'timeouts.discovery' },
  },
};
const API_VERSIONS = Object.keys(VERSIONS);

/** The fields both versions share, JoinRequest field → path in the document. */
const FIELDS: { [K in keyof JoinRequest]?: string } = {
  endpoint: 'discovery.bootstrapToken.apiServerEndpoint',
  token: 'discovery.bootstrapToken.token',
  caCertHashes: 'discovery.bootstrapToken.caCertHashes',
  unsafeSkipCaVerification: 'discovery.bootstrapToken.unsafeSkipCAVerification',
  discoveryFile: 'discovery.file.kubeConfigPath',
  tlsBootstrapToken: 'discovery.tlsBootstrapToken',
  nodeName: 'nodeRegistration.name',
};

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Paths of set leaves: `unknown` are not in `known`, `set` are. */
function walk(doc: Record<string, unknown>, known: Known, prefix: string, out: { unknown: string[]; set: string[] }): void {
  for (const [key, value] of Object.entries(doc)) {
    const path = `${prefix}${key}`;
    const k = known[key];
    if (k === undefined) out.unknown.push(path);
    else if (k !== true && isMapping(value)) walk(value, k, `${path}.`, out);
    else if (value !== null && value !== undefined) out.set.push(path);
  }
}

/**
 * A field's path for a message. `bootstrapToken.unsafeSkipCAVerification` is token-shaped (6
 * characters, a dot, 16), so every message would mask it: such a path is written
 * `unsafeSkipCAVerification (in discovery.bootstrapToken)` instead.
 */
function named(path: string): string {
  if (maskTokenShapes(path) === path) return path;
  const dot = path.lastIndexOf('.');
  return `${path.slice(dot + 1)} (in ${path.slice(0, dot)})`;
}

function at(doc: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (isMapping(node) ? node[key] : undefined), doc);
}

export interface JoinConfiguration {
  request: JoinRequest;
  warnings: string[];
}

/** The JoinConfiguration in `text` (possibly one document of several). UsageError on any problem. */
export function parseJoinConfiguration(text: string, file: string): JoinConfiguration {
  // No process warnings (printed straight to stderr, they would quote the file's text).
  const docs = parseAllDocuments(text, { ...KUBEADM_YAML, prettyErrors: false, logLevel: 'error' });
  const bad = docs.find((d) => d.errors.length > 0);
  if (bad) throw new UsageError(`${file} is not valid YAML: ${bad.errors[0]!.message.split('\n')[0]}`);
  let values: unknown[];
  try {
    values = docs.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
  } catch (err) {
    throw new UsageError(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const doc = values.filter(isMapping).find((d) => d.kind === 'JoinConfiguration');
  if (!doc) throw new UsageError(`${file} holds no JoinConfiguration (kind: JoinConfiguration, apiVersion ${API_VERSIONS.join(' or ')})`);
  const version = VERSIONS[String(doc.apiVersion ?? '')];
  if (!version) throw new UsageError(`${file}: apiVersion "${String(doc.apiVersion ?? '')}" is not supported: use ${API_VERSIONS.join(' or ')}`);
  if (doc.controlPlane !== undefined && doc.controlPlane !== null) {
    throw new UsageError(`${file}: this is a control-plane JoinConfiguration (controlPlane is set); kubejoin joins worker nodes only`);
  }

  const fields = { ...FIELDS, ...version.fields };
  const input: JoinInput = {};
  for (const [field, path] of Object.entries(fields)) {
    const value = at(doc, path);
    // A duration is text in kubeadm's files: a number is not one (kubeadm refuses it too).
    // Nor is a single pin a list of them (the builder takes one for the provisioning file).
    if (field === 'caCertHashes' && typeof value === 'string') {
      throw new UsageError(`${file}: ${named(path)} is not a list of sha256:<hex> strings: write it as a list, [${JSON.stringify(value)}]`);
    }
    input[field as keyof JoinRequest] = field.endsWith('Ms') && typeof value === 'number' ? String(value) : value;
  }
  const built = buildJoinRequest(input);
  if (!built.ok) {
    const lines = built.problems.map((p) => `${file}: ${named(fields[p.field] ?? p.field)} ${p.message}`);
    throw new UsageError(lines.join('\n'));
  }

  const found = { unknown: [] as string[], set: [] as string[] };
  walk(doc, version.known, '', found);
  const used = new Set(['apiVersion', 'kind', ...Object.values(fields)]);
  const ignored = found.set.filter((p) => !used.has(p));
  const warnings: string[] = [];
  if (found.unknown.length > 0) {
    warnings.push(`warning: ${file}: unknown field(s) ${found.unknown.map(named).join(', ')} (not in ${String(doc.apiVersion)} JoinConfiguration; ignored)`);
  }
  if (ignored.length > 0) warnings.push(`warning: ${file}: kubejoin does not use these kubeadm fields: ${ignored.map(named).join(', ')}`);
  return { request: built.request, warnings };
}
