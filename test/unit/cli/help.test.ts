import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Command, FlagSpec } from '../../../agent/cli/command.js';
import { COMMAND_EXIT_CODES } from '../../../agent/cli/exit-codes.js';
import { COMMANDS } from '../../../agent/cli/main.js';
import { EXIT_CODES } from '../../../agent/contract/index.js';

// Help in one style, walked over every command and subcommand the CLI has (so a new one is
// covered without being listed here): a flag that takes a value shows a `<name>` placeholder
// (or its choices, `text|json`), never `FILE` or `DURATION`; a switch shows none; the exit codes
// listed are the command's own (COMMAND_EXIT_CODES), aligned.

/** `<name>`, `<id.secret>`, `<path|->`, `sha256:<hex>`, or lower-case choices `auto|keychain|file`. */
const PLACEHOLDER = /^(?:[a-z0-9]+:)?<[a-z][a-z0-9.:|-]*>$|^[a-z][a-z0-9-]*(?:\|[a-z][a-z0-9-]*)+$/;

async function everyCommand(): Promise<[string, Command][]> {
  const out: [string, Command][] = [];
  for (const [name, entry] of Object.entries(COMMANDS)) {
    const command = (await entry.load()).default;
    out.push([name, command]);
    for (const [sub, s] of Object.entries(command.subcommands ?? {})) out.push([`${name} ${sub}`, (await s.load()).default]);
  }
  return out;
}

function problemOf(flag: string, spec: FlagSpec): string | undefined {
  if (spec.type === 'boolean') return spec.value === undefined ? undefined : `--${flag} is a switch but shows ${spec.value}`;
  if (spec.value === undefined) return `--${flag} takes a value but shows no placeholder`;
  return PLACEHOLDER.test(spec.value) ? undefined : `--${flag} ${spec.value}: write the placeholder as <name> (or the choices, a|b)`;
}

describe('help: one style for every command', () => {
  it('valid: every flag that takes a value shows a <name> placeholder, every switch none', async () => {
    const problems: string[] = [];
    let flags = 0;
    for (const [name, command] of await everyCommand()) {
      for (const [flag, spec] of Object.entries(command.flags ?? {})) {
        flags++;
        const problem = problemOf(flag, spec);
        if (problem) problems.push(`kubejoin ${name}: ${problem}`);
      }
      // What the reader sees: no upper-case word after a flag anywhere in the help.
      const upper = /^\s+(?:-\w, )?--[a-z-]+ ([^\s]*[A-Z]{2,}[^\s]*)/m.exec(command.help(name));
      if (upper) problems.push(`kubejoin ${name} --help shows ${upper[0].trim()}`);
    }
    assert.ok(flags > 80, `walked ${flags} flags`);
    assert.deepEqual(problems, []);
  });

  it('invalid: the rule catches an upper-case placeholder and a value flag without one', () => {
    assert.match(problemOf('ttl', { type: 'string', value: 'DURATION', help: '' })!, /write the placeholder as <name>/);
    assert.match(problemOf('file', { type: 'string', help: '' })!, /takes a value but shows no placeholder/);
    assert.match(problemOf('force', { type: 'boolean', value: '<x>', help: '' })!, /is a switch/);
    for (const ok of ['<duration>', 'sha256:<hex>', 'text|json', 'auto|keychain|file', '<url>'])
      assert.equal(problemOf('x', { type: 'string', value: ok, help: '' }), undefined, ok);
  });

  it('valid: a command lists exactly the exit codes COMMAND_EXIT_CODES gives it, aligned', async () => {
    const all = new Set<number>(Object.values(EXIT_CODES));
    const commands = new Map(await everyCommand());
    for (const [name, codes] of Object.entries(COMMAND_EXIT_CODES)) {
      const command = commands.get(name);
      assert.ok(command, name);
      assert.deepEqual(command.exitCodes, codes, name);
      const listed = [
        ...command
          .help(name)
          .split('Exit codes:\n')[1]!
          .matchAll(/^ {2}([ \d]\d) {2}\S/gm),
      ].map((m) => Number(m[1]));
      assert.deepEqual(listed, codes, `kubejoin ${name} --help`);
      for (const code of codes) assert.ok(all.has(code), `${name}: ${code} is no exit code`);
    }
    // The rest list none rather than codes they cannot give.
    for (const [name, command] of commands) if (!(name in COMMAND_EXIT_CODES)) assert.doesNotMatch(command.help(name), /Exit codes:/, name);
  });
});
