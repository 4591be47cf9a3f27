// The packaged executable of `npm run package` (build/packages/), for the bench: the x64
// single executable, the Node runtime it was made from (for that runtime's own `node -e 0`),
// and the x64 deb. Missing pieces come back as a reason, printed by the bench. The executable
// starts from a V8 startup snapshot (build/packages/sea-snapshot.ts; docs/performance.md).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, MiB, ratio } from './stats.js';
import type { Figure } from './types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Packaged {
  exe?: string;
  runtimeNode?: string;
  runtimeVersion?: string;
  debMiB?: number;
  missing: string[];
}

export function findPackaged(): Packaged {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const nodeVersion = /^NODE_VERSION=(\S+)/m.exec(readFileSync(join(ROOT, 'build/packages/versions.env'), 'utf8'))?.[1];
  const cache = process.env.KUBEJOIN_PACKAGING_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kubejoin/packaging');
  const out: Packaged = { missing: [] };
  const exe = join(ROOT, `dist/packages/kubejoin-${version}-linux-x64`);
  if (process.arch === 'x64' && existsSync(exe)) out.exe = exe;
  else out.missing.push(`${exe.slice(ROOT.length)} (run "npm run package")`);
  const runtime = nodeVersion ? join(cache, `node-v${nodeVersion}-linux-x64/bin/node`) : undefined;
  if (runtime && existsSync(runtime)) {
    out.runtimeNode = runtime;
    out.runtimeVersion = nodeVersion;
  } else out.missing.push(`the packages' Node runtime ${runtime ?? '(no NODE_VERSION in build/packages/versions.env)'}`);
  const deb = join(ROOT, `dist/packages/kubejoin_${version}_amd64.deb`);
  if (existsSync(deb)) out.debMiB = statSync(deb).size / 1048576;
  else out.missing.push(deb.slice(ROOT.length));
  return out;
}

/**
 * The executable as a package manager installs it, in `dir`: written in 64 KiB pieces, as
 * `dpkg-deb -x` (tar, 10 KiB) and `cpio` write theirs, with its keytar addon beside it. The
 * file `npm run package` leaves has just been written by strip and postject in pieces of 1 MiB
 * and more, and the page cache holds such a file in large folios, which a page fault maps
 * whole: its processes then count up to 28 MiB more of the executable's clean, shared pages in
 * their RSS than the installed file's do (`node -e 0` of the stripped runtime: 70.3 against
 * 42.4 MiB), and fault less (docs/performance.md, "Packaged executable").
 */
export async function installedCopy(exe: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const to = join(dir, basename(exe));
  const [from, out] = [await open(exe, 'r'), await open(to, 'w', 0o755)];
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (let n; (n = (await from.read(buf, 0, buf.length, null)).bytesRead) > 0; ) await out.write(buf, 0, n);
    await out.chmod(0o755); // whatever the umask
  } finally {
    await from.close();
    await out.close();
  }
  const addon = join(dirname(exe), `keytar-linux-${process.arch}.node`);
  if (existsSync(addon)) await copyFile(addon, join(dir, basename(addon)));
  return to;
}

type Samples = Record<'node' | 'cli' | 'go' | 'version' | 'pkg-node' | 'pkg-version' | 'pkg-cli', number[]>;

/** Section 7's figures, from the interleaved cold runs (wall ms and peak RSS KiB by kind). */
export function packagedFigures(pkg: Packaged, wall: Samples, rss: Samples): Figure[] {
  const figures: Figure[] = [];
  const fig = (f: Omit<Figure, 'ratio' | 'section'>): void => {
    figures.push({ ...f, section: 7, ratio: ratio(f.value, f.baseline) });
  };
  const within = (value: number | null, baseline: number | null, max: number): boolean => {
    const r = ratio(value, baseline);
    return r !== null && r <= max;
  };
  const base = { node: median(wall.node), go: median(wall.go), cli: median(wall.cli), cliRss: MiB(median(rss.cli)) };
  const pWall = { node: median(wall['pkg-node']), version: median(wall['pkg-version']), cli: median(wall['pkg-cli']) };
  const pRss = { node: MiB(median(rss['pkg-node'])), version: MiB(median(rss['pkg-version'])), cli: MiB(median(rss['pkg-cli'])) };
  const own = `node ${pkg.runtimeVersion ?? '?'} -e 0 (its runtime)`;
  if (pkg.exe) {
    const version = { label: 'packaged kubejoin --version, wall', unit: 'ms', value: pWall.version, target: '<= 1.1x' } as const;
    fig({ ...version, id: 'pkg.version', baseline: base.node, baselineLabel: 'node -e 0', met: within(pWall.version, base.node, 1.1) });
    fig({ ...version, id: 'pkg.version-vs-own', baseline: pWall.node, baselineLabel: own, met: within(pWall.version, pWall.node, 1.1) });
    const cold = { label: 'packaged cold join, wall', unit: 'ms', value: pWall.cli } as const;
    fig({ ...cold, id: 'pkg.cold', baseline: base.go, baselineLabel: 'Go reference, cold', target: '<= 2.0x', met: within(pWall.cli, base.go, 2.0) });
    fig({ ...cold, id: 'pkg.cold-vs-node', baseline: base.node, baselineLabel: 'node -e 0' });
    fig({ ...cold, id: 'pkg.cold-vs-own', baseline: pWall.node, baselineLabel: own });
    fig({ ...cold, id: 'pkg.cold-vs-cli', baseline: base.cli, baselineLabel: 'current CLI (node dist/cli.mjs)' });
    const rssJoin = { label: 'peak RSS, packaged join', unit: 'MiB', value: pRss.cli } as const;
    fig({ ...rssJoin, id: 'pkg.rss', baseline: pRss.node, baselineLabel: own, target: '<= 1.5x', met: within(pRss.cli, pRss.node, 1.5) });
    fig({ id: 'pkg.rss-version', label: 'peak RSS, packaged --version', unit: 'MiB', value: pRss.version, baseline: pRss.node, baselineLabel: own });
    fig({ ...rssJoin, id: 'pkg.rss-vs-cli', baseline: base.cliRss, baselineLabel: 'current CLI' });
  }
  if (pkg.debMiB !== undefined) {
    fig({ id: 'pkg.deb', label: 'x64 deb size', unit: 'MiB', value: pkg.debMiB, baseline: 40, baselineLabel: 'target', target: '<= 40 MiB', met: pkg.debMiB <= 40 });
  }
  return figures;
}
