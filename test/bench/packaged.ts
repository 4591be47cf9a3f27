// The packaged executable of `npm run package` (build/packages/), for the bench: the x64
// single executable, the Node runtime it was made from (for that runtime's own `node -e 0`),
// and the x64 deb. Missing pieces come back as a reason, printed by the bench.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
