// The Go reference (test/control-plane/refjoin): built on first use, like the control
// plane, into a cache outside the repository, next to the control-plane binaries:
//   ${XDG_CACHE_HOME:-~/.cache}/kubejoin/refjoin/<control-plane key>-<hash of main.go>/refjoin
// where <control-plane key> is build.sh's (go.mod, go.sum, flags, Go version). Same Go
// toolchain and flags as the control plane: GOTOOLCHAIN=local CGO_ENABLED=0 -trimpath,
// stripped (-s -w) like Kubernetes' release binaries.
// KUBEJOIN_REFJOIN_BIN=<file> uses a given binary instead.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const MODULE = fileURLToPath(new URL('../control-plane/', import.meta.url));
const BUILD_SH = join(MODULE, 'build.sh');
const MAIN_GO = join(MODULE, 'refjoin', 'main.go');
const GO_ENV = { GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOWORK: 'off', GOFLAGS: '-buildvcs=false' };
const LDFLAGS = '-s -w';

async function works(bin: string): Promise<boolean> {
  if (!existsSync(bin)) return false;
  // No arguments: it must refuse with its usage error (exit 2), proving it runs.
  return exec(bin, [], { timeout: 10_000 }).then(
    () => false,
    (err: { code?: number }) => err.code === 2,
  );
}

export async function ensureRefjoin(log: (line: string) => void = () => {}): Promise<string> {
  const given = process.env.KUBEJOIN_REFJOIN_BIN;
  if (given) {
    if (!(await works(given))) throw new Error(`KUBEJOIN_REFJOIN_BIN=${given} is not a working refjoin binary`);
    return given;
  }
  const cpDir = (await exec('bash', [BUILD_SH, '--print-dir'])).stdout.trim().split('\n').at(-1) ?? '';
  const cpKey = basename(cpDir); // v1.36.3-<hash>
  const mainHash = createHash('sha256').update(await readFile(MAIN_GO)).update(LDFLAGS).digest('hex').slice(0, 12);
  const root = join(dirname(dirname(cpDir)), 'refjoin');
  const dir = join(root, `${cpKey}-${mainHash}`);
  const bin = join(dir, 'refjoin');
  if (await works(bin)) return bin;

  await mkdir(root, { recursive: true });
  const tmp = await mkdtemp(join(root, '.build-'));
  try {
    log(`building the Go reference (refjoin) into ${dir}`);
    const t0 = performance.now();
    await exec('go', ['build', '-trimpath', '-ldflags', LDFLAGS, '-o', join(tmp, 'refjoin'), './refjoin'], {
      cwd: MODULE,
      env: { ...process.env, ...GO_ENV },
      maxBuffer: 16 << 20,
    }).catch((err: Error & { stderr?: string }) => {
      throw new Error(`go build of refjoin failed: ${err.stderr ?? err.message}`);
    });
    log(`built refjoin in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (await works(bin)) return bin; // another bench built it meanwhile
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  if (!(await works(bin))) throw new Error(`the refjoin built into ${bin} does not run`);
  return bin;
}
