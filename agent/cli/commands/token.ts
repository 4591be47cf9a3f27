import { defineGroup } from '../command.js';

// `kubejoin token <subcommand>`: each subcommand is its own module, loaded when it runs, so
// `token generate` never loads the API client.

export default defineGroup(
  `Manage bootstrap tokens: Secrets kube-system/bootstrap-token-<id> of type
bootstrap.kubernetes.io/token. A token is <id>.<secret> ([a-z0-9]{6}.[a-z0-9]{16}); the id is
public, the secret is a password.`,
  {
    generate: { summary: 'Print a new random token (no server contact)', load: () => import('./token-generate.js') },
    create: { summary: 'Create a bootstrap token on the server', load: () => import('./token-create.js') },
    list: { summary: 'List the bootstrap tokens on the server', load: () => import('./token-list.js') },
    delete: { summary: 'Delete bootstrap tokens by id or token', load: () => import('./token-delete.js') },
    prune: { summary: 'Delete expired tokens (the TokenCleaner rules)', load: () => import('./token-prune.js') },
  },
);
