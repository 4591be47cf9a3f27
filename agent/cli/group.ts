import { UsageError } from '../errors.js';
import type { CliContext, Command } from './context.js';

/** A subcommand, loaded only when it runs. */
export interface Subcommand {
  summary: string;
  load: () => Promise<{ default: Command }>;
}

/**
 * A command made of subcommands (`kubejoin token …`, `kubejoin cluster …`): help lists
 * them, the first argument picks one, an unknown one is a usage error (exit 2).
 */
export function commandGroup(name: string, summary: string, intro: string, subcommands: Record<string, Subcommand>): Command {
  const width = Math.max(...Object.keys(subcommands).map((n) => n.length)) + 1;
  const help = `Usage: kubejoin ${name} <subcommand> [flags]

${intro}

Subcommands:
${Object.entries(subcommands)
  .map(([sub, s]) => `  ${sub.padEnd(width)} ${s.summary}`)
  .join('\n')}

Run "kubejoin ${name} <subcommand> --help" for its flags.
`;
  return {
    name,
    summary,
    help,
    async run(argv: string[], ctx: CliContext): Promise<number> {
      const [sub, ...rest] = argv;
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
        (sub === undefined ? ctx.stderr : ctx.stdout).write(help);
        return sub === undefined ? 2 : 0;
      }
      const entry = subcommands[sub];
      if (!entry) throw new UsageError(`unknown subcommand "${name} ${sub}"`, `Subcommands: ${Object.keys(subcommands).join(', ')}.`);
      return (await entry.load()).default.run(rest, ctx);
    },
  };
}
