import { stringify } from 'yaml';
import { nodeNameProblem } from '../contract/index.js';
import { UsageError } from '../errors.js';
import { formatToken, generateToken, type BootstrapToken } from '../protocol/token.js';
import { BOUND_GROUP } from './bound.js';
import { joinCommand, type JoinFormat } from './join-command.js';
import { parseUsages, tokenSpecFromFlags, type TokenSpec } from './token-secret.js';
import { createToken, deleteTokens, type TokenApi } from './tokens.js';

// Enrollment of a fleet (docs/enrollment.md §1): one bound token per node, created all or
// nothing, and what each device gets (its join line or its kiosk provisioning file).

/** Node names from `--nodes-from`: one per line; blank lines and `#` comments are skipped. */
export function parseNodeList(text: string, source: string): string[] {
  const nodes: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const problem = nodeNameProblem(line);
    if (problem) throw new UsageError(`${source}:${i + 1}: ${problem}`, 'Give one node name per line (a DNS-1123 subdomain, e.g. edge-17).');
    nodes.push(line);
  });
  if (nodes.length === 0) throw new UsageError(`${source} names no node`, 'Give one node name per line.');
  return nodes;
}

export interface BoundFlags {
  nodes: readonly string[];
  token?: BootstrapToken;
  singleUse: boolean;
  ttl?: string;
  usages?: readonly string[];
  groups?: readonly string[];
  description?: string;
}

/** One spec per node, every value checked before the server is contacted. */
export function boundSpecs(flags: BoundFlags): TokenSpec[] {
  for (const n of flags.nodes) {
    const problem = nodeNameProblem(n);
    if (problem) throw new UsageError(`invalid --node-name: ${problem}`);
  }
  const dup = flags.nodes.find((n, i) => flags.nodes.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError(`the node ${dup} is named twice`, 'Each node gets one token: name it once.');
  if (flags.groups !== undefined) {
    throw new UsageError(
      `--groups does not go with --node-name: a bound token's only extra group is ${BOUND_GROUP}`,
      'Another group could be bound to the auto-approval and let the token join as any node.',
    );
  }
  if (flags.token !== undefined && flags.nodes.length > 1) throw new UsageError('a token given on the command line can be bound to one node only');
  const usages = flags.usages === undefined ? undefined : parseUsages(flags.usages);
  if (usages !== undefined && !(usages.includes('authentication') && usages.includes('signing'))) {
    throw new UsageError('a bound token needs the usages signing and authentication', 'Drop --usages, or give --usages signing,authentication.');
  }
  return flags.nodes.map((nodeName) => {
    const base = tokenSpecFromFlags({
      token: flags.token ?? generateToken(),
      ttl: flags.ttl,
      usages: flags.usages,
      groups: [BOUND_GROUP],
      description: flags.description,
    });
    return { ...base, nodeName, ...(flags.singleUse ? { singleUse: true } : {}) };
  });
}

export interface Enrolled {
  spec: TokenSpec;
  expires?: string;
}

/** Creates every token, or none: on a failure the ones already created are deleted again. */
export async function createAll(api: TokenApi, specs: readonly TokenSpec[], nowMs: number): Promise<Enrolled[]> {
  const done: Enrolled[] = [];
  try {
    for (const spec of specs) done.push({ spec, ...(await createToken(api, spec, nowMs)) });
    return done;
  } catch (err) {
    await undo(api, done);
    throw err;
  }
}

export async function undo(api: TokenApi, done: readonly Enrolled[]): Promise<void> {
  await deleteTokens(
    api,
    done.map((d) => d.spec.token.id),
  ).catch(() => undefined);
}

/** The join line for a bound token: it names its node. */
export function boundJoinCommand(format: JoinFormat, endpoint: string, e: Enrolled, pins: readonly string[]): string {
  return `${joinCommand(format, endpoint, formatToken(e.spec.token), pins)} --node-name ${e.spec.nodeName}`;
}

/** `-o json|yaml`: per node, the token, its expiry and the join command. */
export function enrolledOutput(format: 'json' | 'yaml', items: readonly { e: Enrolled; join: string }[]): string {
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: items.map(({ e, join }) => ({
      nodeName: e.spec.nodeName,
      token: formatToken(e.spec.token),
      ...(e.expires ? { expires: e.expires } : {}),
      singleUse: e.spec.singleUse === true,
      joinCommand: join,
    })),
  };
  return format === 'json' ? `${JSON.stringify(list, null, 2)}\n` : stringify(list);
}

/** The kiosk's provisioning file (main/provision.ts reads it): endpoint, pins, token, node name. */
export function provisioningFile(endpoint: string, pins: readonly string[], e: Enrolled): string {
  const head = `# kubejoin provisioning file for node ${e.spec.nodeName}: holds a bootstrap token (keep it 0600).\n`;
  const expiry = e.expires ? `# The token is bound to this node${e.spec.singleUse ? ', single-use,' : ''} and expires at ${e.expires}.\n` : '';
  return head + expiry + stringify({ endpoint, token: formatToken(e.spec.token), caCertHashes: [...pins], nodeName: e.spec.nodeName });
}
