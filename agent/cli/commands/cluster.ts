import { defineGroup } from '../command.js';

// `kubejoin cluster <subcommand>`: the control-plane setup token joins need.

export default defineGroup(
  `Make any conformant cluster ready for token joins, also one kubeadm did not build or whose
controller-manager does not run the bootstrapsigner and tokencleaner controllers.
The API server must run with --enable-bootstrap-token-auth=true.`,
  {
    prepare: { summary: "Create kubeadm's bootstrap-token objects (RBAC, cluster-info)", load: () => import('./cluster-prepare.js') },
    approve: { summary: 'Approve the certificate requests of bound tokens, deny the rest of them', load: () => import('./cluster-approve.js') },
    sign: { summary: "Sign cluster-info for every signing token (the BootstrapSigner's job)", load: () => import('./cluster-sign.js') },
  },
);
