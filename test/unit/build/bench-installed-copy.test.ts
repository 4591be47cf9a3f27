// The bench measures the packaged executable as a package manager installs it: a copy written
// in small pieces (test/bench/packaged.ts, installedCopy; docs/performance.md, "As installed"),
// with its keytar addon beside it, since the executable looks for the addon next to itself.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { installedCopy } from '../../bench/packaged.js';
import { workdir } from '../../helpers/temp.js';

// Larger than one 64 KiB piece and not a multiple of it.
const exeBytes = randomBytes(3 * 64 * 1024 + 1234);

describe('bench: the packaged executable as installed', () => {
  it('valid: the copy has the same bytes, is executable, and has the keytar addon beside it', async (t) => {
    const dir = await workdir(t);
    await mkdir(join(dir, 'dist'));
    const exe = join(dir, 'dist', 'kubejoin-0.0.0-linux-x64');
    await writeFile(exe, exeBytes, { mode: 0o755 });
    const addon = randomBytes(5000);
    await writeFile(join(dir, 'dist', `keytar-linux-${process.arch}.node`), addon);

    const copy = await installedCopy(exe, join(dir, 'installed'));

    assert.equal(copy, join(dir, 'installed', 'kubejoin-0.0.0-linux-x64'));
    assert.deepEqual(await readFile(copy), exeBytes);
    assert.equal((await stat(copy)).mode & 0o777, 0o755);
    assert.deepEqual(await readFile(join(dir, 'installed', `keytar-linux-${process.arch}.node`)), addon);
  });

  it('valid: without an addon beside the executable, only the executable is copied', async (t) => {
    const dir = await workdir(t);
    const exe = join(dir, 'kubejoin');
    await writeFile(exe, exeBytes, { mode: 0o755 });

    const copy = await installedCopy(exe, join(dir, 'installed'));

    assert.deepEqual(await readdir(join(dir, 'installed')), ['kubejoin']);
    assert.deepEqual(await readFile(copy), exeBytes);
  });
});
