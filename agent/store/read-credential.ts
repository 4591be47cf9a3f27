import { constants, type Stats } from 'node:fs';
import { lstat, open, readlink, realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { KubejoinError } from '../errors.js';
import { fileStoreError } from './errno.js';

// The one way the file store reads kubelet-client-current.pem, after a join and after a
// rotation (docs/stores.md §1, §7). It accepts the kubelet's layout: a regular file, or a
// symbolic link to a regular file in the same directory (kubelet-client-<time>.pem). Any
// other link is refused, in words: one that leads out of the directory, to another link,
// to a directory, a device or a pipe. The file is opened without following links and
// without blocking, and must be the very file that was checked.

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function refused(message: string, dir: string): KubejoinError {
  return new KubejoinError('store-failed', `${message}: kubejoin reads the credential only from a regular file in ${dir}`, {
    hint: `Point the link at a kubelet-client-<time>.pem in ${dir} (the kubelet's layout), or run "kubejoin reset" and join again.`,
  });
}

/** The credential file's text, or undefined when there is none. Errors are exit 7 (store-failed). */
export async function readCredentialFile(path: string, attempt = 1): Promise<string | undefined> {
  const dir = dirname(path);
  let st: Stats;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileStoreError('read', path, err);
  }
  let file = path;
  if (st.isSymbolicLink()) {
    const target = await readlink(path).catch((err: unknown) => {
      throw fileStoreError('read', path, err);
    });
    file = resolve(dir, target);
    const what = `${path} is a symbolic link to ${target}`;
    const [realDir, targetDir] = await Promise.all([realpath(dir).catch(() => dir), realpath(dirname(file)).catch(() => undefined)]);
    if (targetDir !== realDir) throw refused(`${what}, outside its directory`, dir);
    try {
      st = await lstat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw refused(`${what}, which does not exist`, dir);
      throw fileStoreError('read', file, err);
    }
    if (!st.isFile()) throw refused(`${what}, which is ${kindOf(st)}`, dir);
  } else if (!st.isFile()) throw refused(`${path} is ${kindOf(st)}`, dir);
  try {
    const fh = await open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      const opened = await fh.stat();
      if (opened.isFile() && opened.ino === st.ino && opened.dev === st.dev) return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    // Replaced between the check and the open (a rotation's rename): look again.
    const code = (err as NodeJS.ErrnoException).code;
    if ((code !== 'ENOENT' && code !== 'ELOOP') || attempt >= 3) throw fileStoreError('read', file, err);
  }
  if (attempt >= 3) throw refused(`${file} was replaced while it was read`, dir);
  return readCredentialFile(path, attempt + 1);
}
