import { KubejoinError } from '../errors.js';

/** errno codes a store meets, in plain words (the code stays in brackets for searching). */
const WORDS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  ELOOP: 'it is a symbolic link, which kubejoin does not follow there',
  EEXIST: 'it already exists',
  EIO: 'an input/output error (failing disk?)',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
};

export function errnoWords(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && WORDS[code]) return `${WORDS[code]} (${code})`;
  return code ?? (err instanceof Error ? err.message.split('\n')[0]! : String(err));
}

/** A file-system failure of a store: exit 7, the path and the errno in words, what to do. */
export function fileStoreError(action: string, path: string, err: unknown): KubejoinError {
  if (err instanceof KubejoinError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? 'Run as root, or choose writable paths with --cert-dir and --kubeconfig-out.'
      : code === 'ENOSPC' || code === 'EDQUOT'
        ? 'Free some space on that file system, or choose another with --cert-dir and --kubeconfig-out, and join again.'
        : code === 'EROFS'
          ? 'Remount the file system read-write, or choose writable paths with --cert-dir and --kubeconfig-out.'
          : code === 'ELOOP'
            ? 'Give the real directory or file instead of a symbolic link.'
            : 'Check the path, its permissions and free disk space, and join again.';
  return new KubejoinError('store-failed', `cannot ${action} ${path}: ${errnoWords(err)}`, { hint, cause: err });
}
