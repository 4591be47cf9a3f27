import { HELP_OPTION, noPositionals, parseFlags } from '../admin-flags.js';
import { formatToken, generateToken } from '../../protocol/token.js';
import type { CliContext, Command } from '../context.js';

const help = `Usage: kubejoin token generate

Print a new random bootstrap token (<id>.<secret>, [a-z0-9]{6}.[a-z0-9]{16}) drawn from a
CSPRNG without modulo bias. Nothing is sent anywhere: pass it to "kubejoin token create".

Example:
  kubejoin token create "$(kubejoin token generate)" --ttl 2h
`;

const generate: Command = {
  name: 'token generate',
  summary: 'Print a new random token',
  help,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags({ args: argv, options: { ...HELP_OPTION }, allowPositionals: true });
    if (values.help) {
      ctx.stdout.write(help);
      return 0;
    }
    noPositionals(positionals, 'kubejoin token generate');
    ctx.stdout.write(`${formatToken(generateToken())}\n`);
    return 0;
  },
};

export default generate;
