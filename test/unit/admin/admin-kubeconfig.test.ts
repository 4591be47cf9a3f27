import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { loadAdminKubeconfig } from '../../../agent/admin/admin-kubeconfig.js';
import { UsageError } from '../../../agent/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'kubejoin-kc-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const CA = '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n';
writeFileSync(join(dir, 'ca.crt'), CA);

function kubeconfig(file: string, opts: { cluster: string; server: string; context: string; current?: string; user?: string; caFile?: boolean }): string {
  const path = join(dir, file);
  const ca = opts.caFile ? '    certificate-authority: ca.crt' : `    certificate-authority-data: ${Buffer.from(CA).toString('base64')}`;
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: ${opts.cluster}
  cluster:
    server: ${opts.server}
${ca}
users:
- name: ${opts.user ?? 'admin'}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /bin/false
      interactiveMode: Never
contexts:
- name: ${opts.context}
  context: {cluster: ${opts.cluster}, user: ${opts.user ?? 'admin'}}
${opts.current === undefined ? '' : `current-context: ${opts.current}`}
`,
  );
  return path;
}

const one = kubeconfig('one.yaml', { cluster: 'c1', server: 'https://one:6443', context: 'ctx1', current: 'ctx1' });
const two = kubeconfig('two.yaml', { cluster: 'c1', server: 'https://two:6443', context: 'ctx2', current: 'ctx2', caFile: true });
const home = join(dir, 'home');
mkdirSync(join(home, '.kube'), { recursive: true });
kubeconfig(join('home', '.kube', 'config'), { cluster: 'h', server: 'https://home:6443', context: 'hctx', current: 'hctx' });

test('--kubeconfig wins over KUBECONFIG and ~/.kube/config', async () => {
  const t = await loadAdminKubeconfig({ kubeconfig: two }, { KUBECONFIG: one, HOME: home });
  assert.equal(t.cluster.server, 'https://two:6443');
  assert.equal(t.cluster.caBytes?.toString(), CA, 'a relative certificate-authority is read next to the kubeconfig');
});

test('KUBECONFIG: merged, first file to set a value wins (cluster c1, current-context)', async () => {
  const t = await loadAdminKubeconfig({}, { KUBECONFIG: [one, two].join(delimiter), HOME: home });
  assert.equal(t.context, 'ctx1');
  assert.equal(t.cluster.server, 'https://one:6443');
  const t2 = await loadAdminKubeconfig({ context: 'ctx2' }, { KUBECONFIG: [one, two].join(delimiter), HOME: home });
  assert.equal(t2.cluster.server, 'https://one:6443', "ctx2 names cluster c1, and c1 is the first file's");
});

test('~/.kube/config when nothing else is given; exec users load', async () => {
  const t = await loadAdminKubeconfig({}, { HOME: home });
  assert.equal(t.cluster.server, 'https://home:6443');
  assert.equal(t.userName, 'admin');
});

test('invalid: unknown context, missing file, nothing found', async () => {
  await assert.rejects(
    loadAdminKubeconfig({ kubeconfig: one, context: 'nope' }, {}),
    (e: unknown) => e instanceof UsageError && /Known contexts: ctx1/.test(e.hint ?? ''),
  );
  await assert.rejects(loadAdminKubeconfig({ kubeconfig: join(dir, 'missing') }, {}), UsageError);
  await assert.rejects(
    loadAdminKubeconfig({}, { HOME: join(dir, 'empty-home') }),
    (e: unknown) => e instanceof UsageError && /no kubeconfig found/.test(e.message),
  );
  const noCurrent = kubeconfig('nocurrent.yaml', { cluster: 'c', server: 'https://x:1', context: 'c' });
  await assert.rejects(loadAdminKubeconfig({ kubeconfig: noCurrent }, {}), (e: unknown) => e instanceof UsageError && /no current context/.test(e.message));
});
