import * as v from 'valibot';
import { UsageError } from '../errors.js';
import { checkDuration } from '../protocol/duration.js';
import { readKeyedFile } from '../input/keyed-file.js';
import { readBoundedFile } from '../transport/bounded-file.js';
import { DEFAULT_AGENT_CONFIG } from './lifecycle-flags.js';
import { readProblem } from './token-source.js';

// `kubejoin agent --config <file>` (docs/operations.md, "The agent's configuration file"): the
// agent's flags as a YAML (or JSON) mapping, read strictly: an unknown key, a value of the wrong
// type or a bad duration is exit 2 naming the key; a flag given on the command line wins over
// the file. Without --config, /etc/kubejoin/agent.yaml is read if it exists. YAML is read as
// kubeadm and the kiosk read theirs (agent/input/yaml.ts), JSON too; the types are checked by
// a valibot schema, as agent/input checks a join's.

/** Each key of the file and the flag it stands for. */
export const AGENT_CONFIG_KEYS = {
  kubeconfig: 'kubeconfig',
  certDir: 'cert-dir',
  store: 'store',
  proxy: 'proxy',
  tokenFile: 'token-file',
  provisioningFile: 'provisioning-file',
  onCaChange: 'on-ca-change',
  caCheckInterval: 'ca-check-interval',
  caRenewWindow: 'ca-renew-window',
  metricsTextfile: 'metrics-textfile',
  metricsListen: 'metrics-listen',
  expirationSeconds: 'expiration-seconds',
  output: 'output',
} as const;

type Key = keyof typeof AGENT_CONFIG_KEYS;
type Flag = (typeof AGENT_CONFIG_KEYS)[Key];
const DURATIONS: ReadonlySet<Key> = new Set(['caCheckInterval', 'caRenewWindow']);

const text = v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'));
const opt = v.optional(text);
const SCHEMA = v.strictObject({
  kubeconfig: opt,
  certDir: opt,
  store: opt,
  proxy: opt,
  tokenFile: opt,
  provisioningFile: opt,
  onCaChange: opt,
  caCheckInterval: opt,
  caRenewWindow: opt,
  metricsTextfile: opt,
  metricsListen: opt,
  expirationSeconds: v.optional(v.union([text, v.pipe(v.number(), v.integer())], 'must be a whole number of seconds')),
  output: opt,
} satisfies Record<Key, unknown>);

/** The file's values by flag name (durations in ms, as the flag parser gives them), or {} without a file. */
export async function loadAgentConfig(explicit: string | undefined, defaultPath = DEFAULT_AGENT_CONFIG): Promise<Partial<Record<Flag, string | number>>> {
  const path = explicit ?? defaultPath;
  let body: string;
  try {
    body = await readBoundedFile(path, `--config ${path}`);
  } catch (err) {
    if (explicit === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read --config ${path}: ${readProblem(err)}`);
  }
  return parseAgentConfig(body, path);
}

export async function parseAgentConfig(body: string, path: string): Promise<Partial<Record<Flag, string | number>>> {
  // Read as the kiosk's provisioning file is (agent/input/keyed-file.ts); this module is loaded by the agent alone.
  const keys = Object.keys(AGENT_CONFIG_KEYS) as Key[];
  const file = readKeyedFile(body, path, keys, keys.join(', '), true);
  const problem = file.problems[0];
  if (problem !== undefined) throw new UsageError(`--config ${problem}`);
  const doc = Object.fromEntries([...file.values].map(([k, { value }]) => [k, value]));
  const checked = v.safeParse(SCHEMA, doc);
  if (!checked.success) {
    const issue = checked.issues[0];
    const key = v.getDotPath(issue) ?? '?';
    throw new UsageError(`--config ${path}: ${key} ${issue.message}`);
  }
  const out: Partial<Record<Flag, string | number>> = {};
  for (const [key, value] of Object.entries(checked.output) as [Key, string | number | undefined][]) {
    if (value === undefined) continue;
    if (DURATIONS.has(key)) {
      const d = checkDuration(String(value));
      if (d.problem !== undefined) throw new UsageError(`--config ${path}: ${key} ${JSON.stringify(value)} ${d.problem}`);
      out[AGENT_CONFIG_KEYS[key]] = d.ms;
    } else out[AGENT_CONFIG_KEYS[key]] = key === 'expirationSeconds' ? String(value) : value;
  }
  return out;
}

/**
 * The flags with the file's values below them: a flag given wins. `--kubeconfig` and
 * `--kubeconfig-out` are one setting: either flag replaces the file's `kubeconfig`.
 */
export function withConfig<F extends Record<string, unknown>>(flags: F, file: Partial<Record<Flag, string | number>>): F {
  const merged: Record<string, unknown> = { ...flags };
  for (const [flag, value] of Object.entries(file)) {
    if (flag === 'kubeconfig' && (flags.kubeconfig !== undefined || flags['kubeconfig-out'] !== undefined)) continue;
    if (merged[flag] === undefined) merged[flag] = value;
  }
  return merged as F;
}
