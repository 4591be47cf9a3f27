// Stopping a cluster that runs without us (started by `cluster up`), by its supervisor's pid
// and the component pids it recorded; never a pid that is not (any more) ours.
import { existsSync, readFileSync } from 'node:fs';
import { sleep } from './time.js';

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z'; // a zombie is gone for our purposes
  } catch {
    return process.platform !== 'linux';
  }
}

/** Is pid the supervisor of stateDir (not a recycled pid)? */
export function isSupervisorOf(pid: number, stateDir: string): boolean {
  const cl = cmdline(pid);
  return cl.includes('supervisor.mjs') && cl.includes(`--state-dir ${stateDir}`);
}

/**
 * Stops a cluster that runs without us (started by `cluster up`): SIGTERM to its supervisor,
 * wait; if the supervisor is gone or stuck, kill the components it recorded in pids.json.
 */
export async function stopDetached(stateDir: string, supervisorPid: number | undefined, timeoutMs = 20_000): Promise<void> {
  if (supervisorPid && isSupervisorOf(supervisorPid, stateDir)) {
    process.kill(supervisorPid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (isAlive(supervisorPid) && Date.now() < deadline) await sleep(100);
    if (isAlive(supervisorPid) && isSupervisorOf(supervisorPid, stateDir)) process.kill(supervisorPid, 'SIGKILL');
  }
  const pidsFile = `${stateDir}/pids.json`;
  if (!existsSync(pidsFile)) return;
  let recorded: { children?: Record<string, { pid: number; cmd: string }> } = {};
  try {
    recorded = JSON.parse(readFileSync(pidsFile, 'utf8')) as typeof recorded;
  } catch {
    return;
  }
  for (const { pid, cmd } of Object.values(recorded.children ?? {})) {
    if (isAlive(pid) && cmdline(pid).startsWith(cmd)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}
