// The keychain helper gets a minimal environment (agent/store/keytar-child.ts helperEnv,
// docs/stores.md §2): what libsecret needs to reach the keyring, never the token or a proxy.
// A real `node -e` helper is started over a keytar of our own that tells its pid, and the
// helper's environment is read from /proc/<pid>/environ, as the kernel holds it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { helperEnv, runKeytar, setKeychainHelperLauncher, stdioLauncher } from '../../../agent/store/keytar-child.js';
import { NODE_HELPER_SCRIPT } from '../../../agent/store/keytar-serve.js';
import { utilityProcessLauncher, type UtilityProcessLike } from '../../../main/keychain-launcher.js';
import { workdir } from '../../helpers/temp.js';

const PID_KEYTAR = `module.exports = { async getPassword() { return String(process.pid); } };`;

const SECRETS = {
  KUBEJOIN_TOKEN: 'abcdef.0123456789abcdef',
  HTTPS_PROXY: 'http://edge:pr0xy-pa55@proxy.example:3128',
  https_proxy: 'http://edge:pr0xy-pa55@proxy.example:3128',
  NODE_OPTIONS: '--inspect',
};
const KEYRING = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus', HOME: '/home/edge', XDG_RUNTIME_DIR: '/run/user/1000', PATH: '/usr/bin:/bin' };

describe('the keychain helper environment', () => {
  afterEach(() => setKeychainHelperLauncher(undefined));

  it('valid: a real node -e helper has D-Bus, HOME and XDG_*, and no token, proxy or NODE_OPTIONS', async (t) => {
    if (!existsSync('/proc/self/environ')) return t.skip('no /proc/<pid>/environ on this system');
    const path = join(await workdir(t), 'pid-keytar.cjs');
    await writeFile(path, PID_KEYTAR);
    setKeychainHelperLauncher(stdioLauncher(process.execPath, ['-e', NODE_HELPER_SCRIPT, path]));
    const [pid] = await runKeytar([{ op: 'get', service: 's', account: 'pid' }], { env: { ...process.env, ...SECRETS, ...KEYRING } });
    const environ = (await readFile(`/proc/${String(pid)}/environ`, 'utf8')).split('\0').filter(Boolean);
    const names = environ.map((kv) => kv.split('=')[0]);
    for (const name of Object.keys(SECRETS)) assert.ok(!names.includes(name), `${name} reached the helper`);
    assert.ok(!environ.some((kv) => kv.includes('pr0xy-pa55') || kv.includes('0123456789abcdef')), 'a secret reached the helper');
    for (const [name, value] of Object.entries(KEYRING)) assert.ok(environ.includes(`${name}=${value}`), `${name} is missing`);
  });

  it('valid: the desktop app launcher (utilityProcess) gets the same environment', () => {
    let forkedEnv: NodeJS.ProcessEnv | undefined;
    const utility: UtilityProcessLike = {
      fork: (_path, _args, options) => {
        forkedEnv = options?.env;
        return { on: () => undefined, postMessage: () => undefined, kill: () => true, stderr: null };
      },
    };
    utilityProcessLauncher(utility, '/app/keychain-helper.cjs')(
      { reply: () => undefined, exit: () => undefined, error: () => undefined },
      { ...SECRETS, ...KEYRING, DISPLAY: ':0', KUBEJOIN_KEYCHAIN_TIMEOUT: '5s' },
    );
    assert.deepEqual(forkedEnv, { ...KEYRING, DISPLAY: ':0' });
  });

  it('valid: Windows names match in any case; others only as written', () => {
    assert.deepEqual(helperEnv({ Path: 'C:\\\\Windows', SystemRoot: 'C:\\\\Windows', KUBEJOIN_TOKEN: 'x' }, 'win32'), {
      Path: 'C:\\\\Windows',
      SystemRoot: 'C:\\\\Windows',
    });
    assert.deepEqual(helperEnv({ Path: '/bin', home: '/h', LC_ALL: 'C', LANG: 'C.UTF-8' }, 'linux'), { LC_ALL: 'C', LANG: 'C.UTF-8' });
  });
});
