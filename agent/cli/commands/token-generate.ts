import { formatToken, generateToken } from '../../protocol/token.js';
import { defineCommand } from '../command.js';

export default defineCommand({
  description: `Print a new random bootstrap token (<id>.<secret>, [a-z0-9]{6}.[a-z0-9]{16}) drawn from a
CSPRNG without modulo bias. Nothing is sent anywhere: pass it to "kubejoin token create".`,
  flags: {},
  examples: ['kubejoin token create "$(kubejoin token generate)" --ttl 2h'],
  async run(_input, ctx) {
    ctx.stdout.write(`${formatToken(generateToken())}\n`);
    return 0;
  },
});
