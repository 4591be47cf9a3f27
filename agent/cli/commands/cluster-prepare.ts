import { stringify } from 'yaml';
import { AdminClient } from '../../admin/client.js';
import { endpointOf, pinsOf } from '../../admin/join-command.js';
import { loadAdminKubeconfig } from '../../admin/admin-kubeconfig.js';
import { prepareCluster, printable, type PlannedObject } from '../../admin/prepare.js';
import { APPROVER_USER, BOUND_GROUP, prepareBound } from '../../admin/prepare-bound.js';
import { defineCommand } from '../command.js';
import { KUBECONFIG_FLAGS, kubeconfigOf } from '../kubeconfig-flags.js';

function describe(p: PlannedObject): string {
  const name = p.namespace === undefined ? p.name : `${p.namespace}/${p.name}`;
  return `${p.kind} ${name}${p.note ? ` (${p.note})` : ''}`;
}

export default defineCommand({
  description: `Create or update, idempotently, what kubeadm's bootstrap-token phase creates:
  ClusterRoleBinding kubeadm:kubelet-bootstrap                     (token group -> system:node-bootstrapper)
  ClusterRoleBinding kubeadm:node-autoapprove-bootstrap            (token group -> CSR nodeclient auto-approval)
  ClusterRoleBinding kubeadm:node-autoapprove-certificate-rotation (system:nodes -> selfnodeclient)
  ConfigMap kube-public/cluster-info  (server and CA of the admin kubeconfig, kubeadm's exact shape)
  Role and RoleBinding kube-public/kubeadm:bootstrap-signer-clusterinfo (anonymous get cluster-info)
and kubejoin's own:
  Role and RoleBinding kube-public/kubejoin:cluster-info-watch (system:nodes get/list/watch
                     cluster-info: "kubejoin agent" follows the CA bundle by a watch)
Only what differs is written; a second run changes nothing and says so. An existing
cluster-info naming the same server and CA is left as it is (it is signed as stored).

With --bound-tokens, also what tokens bound to one node need (docs/enrollment.md):
  ClusterRoleBinding kubejoin:bound-token-bootstrap (${BOUND_GROUP} -> system:node-bootstrapper,
                     and no auto-approval: "kubejoin cluster approve" decides)
  ClusterRole and ClusterRoleBinding kubejoin:bound-token-approver (user ${APPROVER_USER}:
                     get/list/watch CSRs, update their approval, approve for the kubelet client signer)
  Role and RoleBinding kube-system/kubejoin:bound-token-approver (user ${APPROVER_USER}: get/list/delete Secrets)

Afterwards: "kubejoin token create", and, if the controller-manager does not run the
bootstrapsigner controller, "kubejoin cluster sign" (or "cluster sign --watch").`,
  flags: {
    'dry-run': { type: 'boolean', help: 'Print the objects that would be written (YAML on stdout), write nothing' },
    'bound-tokens': { type: 'boolean', help: 'Also create the RBAC of bound tokens and of their approver ("cluster approve")' },
    server: {
      type: 'string',
      value: '<url>',
      help: "Server URL to publish in cluster-info, if nodes must reach the API server at\nanother address than the admin kubeconfig's (default: the kubeconfig's server)",
    },
    ...KUBECONFIG_FLAGS,
  },
  async run({ flags: values }, ctx) {
    const target = await loadAdminKubeconfig(kubeconfigOf(values), ctx.env);
    const server = values.server ?? target.cluster.server;
    endpointOf(server); // an https URL, or a UsageError
    pinsOf(target.cluster.caBytes, `the kubeconfig's cluster ${JSON.stringify(target.cluster.name)}`); // at least one CA certificate
    const dryRun = values['dry-run'] === true;
    const client = await AdminClient.forTarget(target);
    const plans = await prepareCluster(client, server, target.cluster.caBytes!, dryRun);
    if (values['bound-tokens']) plans.push(...(await prepareBound(client, dryRun)));
    const changes = plans.filter((p) => p.action !== 'unchanged');
    if (dryRun) {
      for (const p of plans) ctx.stderr.write(`${p.action === 'unchanged' ? 'unchanged' : `would ${p.action}`} ${describe(p)}\n`);
      ctx.stdout.write(changes.map((p) => `---\n${stringify(printable(p))}`).join(''));
      ctx.stderr.write(
        changes.length === 0 ? 'Nothing to do: the cluster is already prepared.\n' : `${changes.length} object(s) would be written (dry run).\n`,
      );
      return 0;
    }
    const past = { create: 'created', update: 'updated', unchanged: 'unchanged' } as const;
    for (const p of plans) ctx.stdout.write(`${past[p.action]} ${describe(p)}\n`);
    ctx.stdout.write(
      changes.length === 0
        ? `Nothing changed: the cluster was already prepared (${plans.length} objects up to date).\n`
        : `Cluster prepared: ${changes.filter((p) => p.action === 'create').length} created, ${changes.filter((p) => p.action === 'update').length} updated, ${plans.length - changes.length} unchanged.\n`,
    );
    return 0;
  },
});
