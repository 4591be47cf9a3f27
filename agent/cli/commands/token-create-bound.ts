import { constants } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AdminTarget } from '../../admin/admin-kubeconfig.js';
import { AdminClient } from '../../admin/client.js';
import { boundJoinCommand, boundSpecs, createAll, enrolledOutput, parseNodeList, provisioningFile, undo, type BoundFlags } from '../../admin/enroll.js';
import { endpointOf, pinsOf, type JoinFormat } from '../../admin/join-command.js';
import { UsageError } from '../../errors.js';
import { formatToken } from '../../protocol/token.js';
import { readBoundedFile } from '../../transport/bounded-file.js';
import type { CliContext } from '../context.js';

// `token create --node-name … | --nodes-from …`: one bound token per node (docs/enrollment.md §1),
// all or none, each printed with its node, or written into its kiosk provisioning file.

export interface BoundCreateFlags extends Omit<BoundFlags, 'nodes'> {
  nodeNames: readonly string[];
  nodesFrom?: string;
  output?: string;
  printJoinCommand: boolean;
  format: JoinFormat;
  provisioningFile?: string;
}

const NODES_FILE_LIMIT = 1024 * 1024;

async function nodesOf(flags: Pick<BoundCreateFlags, 'nodeNames' | 'nodesFrom'>): Promise<string[]> {
  const nodes = [...flags.nodeNames];
  if (flags.nodesFrom !== undefined) {
    let text: string;
    try {
      text = await readBoundedFile(flags.nodesFrom, `--nodes-from ${flags.nodesFrom}`, NODES_FILE_LIMIT);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`--nodes-from ${flags.nodesFrom}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    nodes.push(...parseNodeList(text, flags.nodesFrom));
  }
  return nodes;
}

/** Where each node's provisioning file goes: the path itself for one node, `{node}` replaced for several. */
async function provisioningPaths(template: string | undefined, nodes: readonly string[]): Promise<string[] | undefined> {
  if (template === undefined) return undefined;
  if (nodes.length > 1 && !template.includes('{node}')) {
    throw new UsageError('--provisioning-file for several nodes must contain {node}', 'e.g. --provisioning-file /srv/enroll/{node}.yaml');
  }
  const paths = nodes.map((n) => template.replaceAll('{node}', n));
  for (const p of paths) {
    const dir = await stat(dirname(p)).catch(() => undefined);
    if (!dir?.isDirectory()) throw new UsageError(`--provisioning-file ${p}: the directory ${dirname(p)} does not exist`);
    if (
      await stat(p).then(
        () => true,
        () => false,
      )
    ) {
      throw new UsageError(`--provisioning-file ${p} exists already: it is never overwritten`, 'Remove it, or choose another path.');
    }
  }
  return paths;
}

/** Writes a new file, mode 0600, never over an existing one. */
async function writeNew(path: string, text: string): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(text);
    await handle.chmod(0o600); // whatever the umask
  } finally {
    await handle.close();
  }
}

/** Everything is checked (nodes, flags, provisioning paths) before `loadTarget` reads the kubeconfig. */
export async function createBound(flags: BoundCreateFlags, loadTarget: () => Promise<AdminTarget>, ctx: CliContext): Promise<number> {
  const output = flags.output;
  if (output !== undefined && output !== 'json' && output !== 'yaml')
    throw new UsageError(`invalid --output ${JSON.stringify(output)}`, 'Use -o json or -o yaml.');
  const nodes = await nodesOf(flags);
  const specs = boundSpecs({ ...flags, nodes });
  const paths = await provisioningPaths(flags.provisioningFile, nodes);
  const target = await loadTarget();
  const endpoint = endpointOf(target.cluster.server);
  const pins = pinsOf(target.cluster.caBytes, `the kubeconfig's cluster ${JSON.stringify(target.cluster.name)}`);
  const client = await AdminClient.forTarget(target);
  const enrolled = await createAll(client, specs, Date.now());
  if (paths !== undefined) {
    const written: string[] = [];
    try {
      for (const [i, e] of enrolled.entries()) {
        await writeNew(paths[i]!, provisioningFile(endpoint, pins, e));
        written.push(paths[i]!);
      }
    } catch (err) {
      // All or nothing: the files written so far and every token go again.
      await Promise.all(written.map((p) => unlink(p).catch(() => undefined)));
      await undo(client, enrolled);
      throw new UsageError(`--provisioning-file: cannot write it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); no token was kept`);
    }
    for (const [i, e] of enrolled.entries()) ctx.stderr.write(`wrote ${paths[i]} for node ${e.spec.nodeName} (token ${e.spec.token.id})\n`);
  }
  const lines = enrolled.map((e) => ({ e, join: boundJoinCommand(flags.format, endpoint, e, pins) }));
  if (output !== undefined) {
    ctx.stdout.write(enrolledOutput(output, lines));
    return 0;
  }
  if (paths !== undefined) return 0;
  for (const { e, join } of lines) {
    const text = flags.printJoinCommand ? join : formatToken(e.spec.token);
    ctx.stdout.write(nodes.length === 1 ? `${text}\n` : `${e.spec.nodeName}\t${text}\n`);
  }
  return 0;
}
