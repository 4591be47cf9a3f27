import { AdminClient } from '../../admin/client.js';
import { tokenIdOf } from '../../admin/token-secret.js';
import { deleteTokens } from '../../admin/tokens.js';
import { EXIT_CODES } from '../../contract/index.js';
import { defineCommand } from '../command.js';
import { KUBECONFIG_FLAGS, kubeconfigOf } from '../kubeconfig-flags.js';

export default defineCommand({
  description: `Delete bootstrap tokens, each given as its id ([a-z0-9]{6}) or whole token. Nodes can no
longer join or authenticate with them (the API server may accept a token it already
checked for about 10 more seconds). A token that is not there is reported (exit 2) after
the others are deleted.`,
  flags: KUBECONFIG_FLAGS,
  positionals: { usage: '<id|token>...', what: 'token id or token', min: 1, max: Infinity },
  examples: ['kubejoin token delete abcdef'],
  async run({ flags, positionals }, ctx) {
    const ids = [...new Set(positionals.map(tokenIdOf))];
    const client = await AdminClient.connect(kubeconfigOf(flags), ctx.env);
    let missing = 0;
    for (const r of await deleteTokens(client, ids)) {
      if (r.outcome === 'deleted') ctx.stdout.write(`bootstrap token "${r.id}" deleted\n`);
      else {
        missing++;
        ctx.stderr.write(`error: bootstrap token "${r.id}" not found\n`);
      }
    }
    return missing > 0 ? EXIT_CODES['invalid-input'] : 0;
  },
});
