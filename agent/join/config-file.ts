import { readBoundedFile } from '../transport/bounded-file.js';
import { parseAllDocuments } from 'yaml';
import { timerDurationProblem, type JoinRequest } from '../contract/index.js';
import { parseDuration } from '../protocol/duration.js';
import { UsageError } from '../errors.js';

// kubeadm's JoinConfiguration (kubeadm.k8s.io/v1beta3 and v1beta4): the fields a
// credential join uses. Other kubeadm fields are accepted and ignored.

const API_VERSIONS = ['kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta4'];

interface JoinConfigurationDoc {
  apiVersion?: string;
  kind?: string;
  discovery?: {
    bootstrapToken?: { apiServerEndpoint?: string; token?: string; caCertHashes?: string[]; unsafeSkipCAVerification?: boolean };
    file?: { kubeConfigPath?: string };
    tlsBootstrapToken?: string;
    timeout?: string; // v1beta3
  };
  nodeRegistration?: { name?: string };
  timeouts?: { discovery?: string; tlsBootstrap?: string }; // v1beta4
}

function durationField(path: string, value: unknown, file: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined || ms <= 0) throw new UsageError(`${file}: ${path} "${String(value)}" is not a positive duration (e.g. 5m0s)`);
  const problem = timerDurationProblem(ms);
  if (problem) throw new UsageError(`${file}: ${path} "${String(value)}" ${problem}`);
  return ms;
}

/** Reads the JoinConfiguration in `file` (possibly one document of several). */
export async function loadJoinConfiguration(file: string): Promise<JoinRequest> {
  let text: string;
  try {
    text = await readBoundedFile(file, `--config ${file}`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read --config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseJoinConfiguration(text, file);
}

export function parseJoinConfiguration(text: string, file: string): JoinRequest {
  // No process warnings (printed straight to stderr, they would quote the file's text).
  const docs = parseAllDocuments(text, { prettyErrors: false, logLevel: 'error' });
  const bad = docs.find((d) => d.errors.length > 0);
  if (bad) throw new UsageError(`${file} is not valid YAML: ${bad.errors[0]!.message.split('\n')[0]}`);
  let values: unknown[];
  try {
    values = docs.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
  } catch (err) {
    throw new UsageError(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const objects = values.filter((d): d is JoinConfigurationDoc => d !== null && typeof d === 'object' && !Array.isArray(d));
  const doc = objects.find((d) => d.kind === 'JoinConfiguration');
  if (!doc) throw new UsageError(`${file} holds no JoinConfiguration (kind: JoinConfiguration, apiVersion ${API_VERSIONS.join(' or ')})`);
  if (!API_VERSIONS.includes(doc.apiVersion ?? '')) {
    throw new UsageError(`${file}: apiVersion "${doc.apiVersion ?? ''}" is not supported: use ${API_VERSIONS.join(' or ')}`);
  }
  const req: JoinRequest = {};
  const bt = doc.discovery?.bootstrapToken;
  if (bt?.apiServerEndpoint) req.endpoint = bt.apiServerEndpoint;
  if (bt?.token) req.token = bt.token;
  if (bt?.caCertHashes) {
    if (!Array.isArray(bt.caCertHashes) || bt.caCertHashes.some((h) => typeof h !== 'string')) {
      throw new UsageError(`${file}: discovery.bootstrapToken.caCertHashes must be a list of strings`);
    }
    req.caCertHashes = bt.caCertHashes;
  }
  if (bt?.unsafeSkipCAVerification) req.unsafeSkipCaVerification = true;
  if (doc.discovery?.file?.kubeConfigPath) req.discoveryFile = doc.discovery.file.kubeConfigPath;
  if (doc.discovery?.tlsBootstrapToken) req.tlsBootstrapToken = doc.discovery.tlsBootstrapToken;
  if (doc.nodeRegistration?.name) req.nodeName = doc.nodeRegistration.name;
  const discovery = durationField('timeouts.discovery', doc.timeouts?.discovery, file) ?? durationField('discovery.timeout', doc.discovery?.timeout, file);
  if (discovery !== undefined) req.discoveryTimeoutMs = discovery;
  return req;
}
