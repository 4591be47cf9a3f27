// Where the control-plane binaries are: test/control-plane/build.sh builds them once into
// ~/.cache/kubejoin/control-plane/<version>-<hash>/ (or takes KUBEJOIN_CONTROL_PLANE_BIN).
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUILD_SH = fileURLToPath(new URL('../control-plane/build.sh', import.meta.url));

export interface ControlPlaneBinaries {
  dir: string;
  version: string; // "v1.36.3"
}

let cached: Promise<ControlPlaneBinaries> | undefined;

function runBuild(): Promise<string> {
  return new Promise((resolve, reject) => {
    // Progress (stderr) goes straight to ours; the bin dir is the last stdout line.
    const child = spawn('bash', [BUILD_SH], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const dir = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && dir) resolve(dir);
      else reject(new Error(`${BUILD_SH} failed (code ${code}, signal ${signal}); see its output above`));
    });
  });
}

async function versionOf(dir: string): Promise<string> {
  try {
    return (await readFile(join(dir, 'VERSION'), 'utf8')).trim();
  } catch {
    // A directory from KUBEJOIN_CONTROL_PLANE_BIN: ask the binary ("Kubernetes v1.36.3").
    const out = await new Promise<string>((resolve, reject) =>
      execFile(join(dir, 'kube-apiserver'), ['--version'], (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    return out.trim().split(/\s+/).at(-1) ?? 'unknown';
  }
}

/** Builds the binaries on first use (about 6 minutes cold on 2 cores), then costs ~0.1 s. */
export function ensureControlPlaneBinaries(): Promise<ControlPlaneBinaries> {
  cached ??= (async () => {
    const dir = await runBuild();
    return { dir, version: await versionOf(dir) };
  })();
  cached.catch(() => (cached = undefined));
  return cached;
}
