import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { PROVISION_KEYS, readKeyedFile } from '../input/keyed-file.js';
import { readBoundedFile } from '../transport/bounded-file.js';
import type { CliContext } from './context.js';
import { readProblem, readTokenFile } from './token-source.js';

// `kubejoin agent --provisioning-file <path>`: the bootstrap token of a kiosk's provisioning file
// (main/provision.ts: `token`, or `tokenFile` relative to the file), read when a re-join needs
// it, as --token-file is. The file is read the kiosk's way (YAML with kubeadm's booleans, its
// keys and no others, duplicate keys refused); its other keys are the kiosk's (the agent joins
// again with the server, pins and node name it already has). Messages never quote a value.

export async function tokenFromProvisioningFile(path: string, ctx: Pick<CliContext, 'stdin'>): Promise<string> {
  let body: string;
  try {
    body = await readBoundedFile(path, `--provisioning-file ${path}`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read --provisioning-file ${path}: ${readProblem(err)}`);
  }
  // Read as the kiosk reads it (agent/input/keyed-file.ts); this module loads when a re-join needs the token.
  const file = readKeyedFile(body, path, PROVISION_KEYS, 'token or tokenFile, endpoint, …');
  const problem = file.problems[0];
  if (problem !== undefined) throw new UsageError(`--provisioning-file ${problem}`);
  const values = file.values;
  const token = values.get('token');
  const tokenFile = values.get('tokenFile');
  if (token && tokenFile) throw new UsageError(`--provisioning-file ${tokenFile.where}: give either token or tokenFile, not both`);
  if (tokenFile) {
    if (typeof tokenFile.value !== 'string' || tokenFile.value === '') throw new UsageError(`--provisioning-file ${tokenFile.where}: tokenFile must be a path`);
    return readTokenFile(resolve(dirname(path), tokenFile.value), ctx);
  }
  if (!token) throw new UsageError(`--provisioning-file ${path}: token or tokenFile is missing (the bootstrap token)`);
  if (typeof token.value !== 'string' || token.value.trim() === '') throw new UsageError(`--provisioning-file ${token.where}: token must be a string`);
  return token.value.trim();
}
