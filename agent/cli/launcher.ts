// The words a pasted kubeadm line starts with, before the command: the CLI's entry strips them
// too (`kubejoin sudo kubeadm join …`), so this stays small: main.ts loads it for every command.

/** Leading words of a pasted line before the join's own (`sudo -E`, `kubeadm`, `/usr/bin/kubejoin`). */
export function stripLauncher(words: string[]): string[] {
  let i = 0;
  while (words[i] === 'sudo' || words[i] === '-E') i++;
  if (i < words.length && /(^|\/)(kubeadm|kubejoin)$/.test(words[i]!)) i++;
  return words.slice(i);
}

/**
 * Commands that run cold most often: the npm CLI's entry (./bin.ts) loads each from a build of
 * the CLI with only that command, in a few files (build/hot-commands.mjs holds the same list).
 */
export const OWN_BUILD_COMMANDS: readonly string[] = ['join', 'credential'];
