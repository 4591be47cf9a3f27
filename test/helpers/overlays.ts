// Runs a shell script as root in a private mount namespace whose given directories are
// overlays: what the script writes lands in <work>/up_<dir>, and this machine is left as it
// was. For maintainer scripts and package installs run for real (dpkg, systemctl, useradd).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './cli.js';

/** Why these tests can't run here, or '' (root, unshare, mount, and the given commands). */
export function overlaySkipReason(commands: string[]): string {
  if (process.getuid?.() !== 0) return 'SKIP: needs root (a private mount namespace with overlays)';
  const missing = ['unshare', 'mount', ...commands].find((c) => !['/usr/bin', '/usr/sbin', '/bin', '/sbin'].some((d) => existsSync(join(d, c))));
  return missing ? `SKIP: needs ${missing}` : '';
}

/**
 * `script` runs under bash with $W = `work` and its own arguments after it. Lines it prints as
 * key=value come back as a map; a non-zero exit fails the test with its output.
 */
export async function runInOverlays(work: string, dirs: readonly string[], script: string, args: readonly string[] = []): Promise<Map<string, string>> {
  const prelude = String.raw`set -u
W=$1; shift
for d in ${dirs.join(' ')}; do
  [ -d "$d" ] || continue
  n=$(echo "$d" | tr / _); mkdir -p "$W/up$n" "$W/wk$n"
  mount -t overlay overlay -o "lowerdir=$d,upperdir=$W/up$n,workdir=$W/wk$n" "$d" || exit 90
done
`;
  const path = join(work, 'namespace.sh');
  await writeFile(path, prelude + script);
  const r = await run('unshare', ['--mount', '--propagation', 'private', 'bash', path, work, ...args], { env: process.env, timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return new Map(
    r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );
}

/** What the tests compare before and after, to show the machine was not touched. */
export async function machineState(paths: readonly string[]): Promise<string> {
  return JSON.stringify([...paths.map((p) => existsSync(p)), await readFile('/etc/group', 'utf8'), await readFile('/etc/passwd', 'utf8')]);
}
