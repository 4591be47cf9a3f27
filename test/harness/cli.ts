// `npm run cluster -- <command>`: a real control plane that outlives the command, for the
// demo and for KUBEJOIN_TEST_CLUSTER. Progress on stderr, results on stdout.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureControlPlaneBinaries } from './binaries.js';
import { attachCluster, startCluster, STATE_FILE } from './cluster.js';
import type { ClusterState } from './handle.js';
import { isSupervisorOf, stopDetached } from './detached.js';

const DEFAULT_STATE_DIR = fileURLToPath(new URL('../../.state/cluster', import.meta.url));

const USAGE = `usage: npm run cluster -- <command> [options]
  up     --state-dir DIR [--bare] [--audit] [--apiserver-flag F]... [--controller-manager-flag F]...
         start a cluster in the background; prints one JSON line:
         {"endpoint","caCertHash","adminKubeconfig","caFile"}
  down   --state-dir DIR        stop it (the state dir is kept)
  token  --state-dir DIR [--ttl SECONDS] [--description TEXT] [--json]
         create a bootstrap token (kubeadm defaults) and print it
  status --state-dir DIR        print cluster.json if the cluster runs (exit 1 if not)
  build                         build the binaries if needed; print their directory
DIR defaults to .state/cluster in the repository.`;

const err = (line: string): boolean => process.stderr.write(`[cluster] ${line}\n`);

function out(line: string): Promise<void> {
  return new Promise((r) => process.stdout.write(`${line}\n`, () => r()));
}

async function readState(dir: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'state-dir': { type: 'string' },
      bare: { type: 'boolean' },
      audit: { type: 'boolean' },
      'apiserver-flag': { type: 'string', multiple: true },
      'controller-manager-flag': { type: 'string', multiple: true },
      ttl: { type: 'string' },
      description: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const dir = resolve(values['state-dir'] ?? DEFAULT_STATE_DIR);

  switch (command) {
    case 'build': {
      const bins = await ensureControlPlaneBinaries();
      err(`control plane ${bins.version}`);
      await out(bins.dir);
      return 0;
    }
    case 'up': {
      const c = await startCluster({
        stateDir: dir,
        bare: !!values.bare,
        audit: !!values.audit,
        apiserverFlags: values['apiserver-flag'] ?? [],
        controllerManagerFlags: values['controller-manager-flag'] ?? [],
        detach: true,
        log: (l) => err(l),
      });
      err(`${c.bare ? 'bare ' : ''}cluster ${c.version} at ${c.server}, started in ${(c.startupMs / 1000).toFixed(1)} s; logs in ${c.logDir}`);
      err(`stop it with: npm run cluster -- down --state-dir ${dir}`);
      await out(JSON.stringify({ endpoint: c.endpoint, caCertHash: c.caCertHash, adminKubeconfig: c.adminKubeconfig, caFile: c.caFile }));
      return 0;
    }
    case 'down': {
      const state = await readState(dir);
      const running = !!state && isSupervisorOf(state.supervisorPid, dir);
      await stopDetached(dir, state?.supervisorPid);
      err(running ? `stopped the cluster in ${dir}` : `no cluster was running in ${dir}`);
      return 0;
    }
    case 'token': {
      const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
      if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= 0)) throw new Error(`--ttl must be a whole number of seconds, got ${values.ttl}`);
      const c = await attachCluster(dir);
      const token = await c.createToken({
        ...(ttl !== undefined ? { ttlSeconds: ttl } : {}),
        ...(values.description ? { description: values.description } : {}),
      });
      await c.waitForSignature(token.slice(0, 6)).catch((e: Error) => err(`warning: ${e.message}`));
      await out(values.json ? JSON.stringify({ token, endpoint: c.endpoint, caCertHash: c.caCertHash }) : token);
      return 0;
    }
    case 'status': {
      const state = await readState(dir);
      if (!state || !isSupervisorOf(state.supervisorPid, dir)) {
        err(`no cluster is running in ${dir}`);
        return 1;
      }
      await out(JSON.stringify(state));
      return 0;
    }
    default:
      process.stderr.write(`unknown command ${command}\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    err(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
