// Stands in for @kubernetes/client-node in the edge executable (build/packages/package.mjs).
// The executable is for the machines that join; the admin commands that talk to a cluster
// as an admin (token create/list/delete/prune, cluster prepare/sign, ca-hash --kubeconfig)
// need the Kubernetes client, which would make every start of the executable ~2x slower and
// ~25 MiB bigger in memory (measured in docs/performance.md). Loading it fails with this.
import { KubejoinError } from '../../agent/errors.js';

throw new KubejoinError('invalid-input', 'this command needs the Kubernetes admin client, which the kubejoin edge executable leaves out', {
  hint: 'Run the admin commands from an admin machine with the npm build of kubejoin (npm ci && npm run build; npx kubejoin …). "kubejoin token generate" and "kubejoin ca-hash --ca-file" work here.',
});
