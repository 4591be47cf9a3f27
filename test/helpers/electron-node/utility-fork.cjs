// Electron's utilityProcess.fork, made of Node's child_process.fork, for tests on a machine
// without the Electron binary: the child gets process.parentPort (parent-port.cjs), messages
// travel over Node's IPC channel, stdio is limited as utilityProcess limits it (no stdin), and
// 'exit' reports a number only, as Electron's does (the signal's number for a process that
// was killed, as Chromium's termination status gives it on POSIX).
'use strict';
const { fork: nodeFork } = require('node:child_process');
const { EventEmitter } = require('node:events');
const { constants } = require('node:os');
const { appendFileSync } = require('node:fs');
const { join } = require('node:path');

const PARENT_PORT = join(__dirname, 'parent-port.cjs');
/** Every fork, for tests to look at. */
const forks = [];

function fork(modulePath, args = [], options = {}) {
  const stdio = options.stdio ?? 'inherit';
  const [, out, err] = typeof stdio === 'string' ? ['ignore', stdio, stdio] : stdio;
  const child = nodeFork(modulePath, args, {
    env: options.env ?? process.env,
    execArgv: ['--require', PARENT_PORT],
    stdio: ['ignore', out ?? 'inherit', err ?? 'inherit', 'ipc'],
  });
  // Like a utilityProcess, it never keeps the parent alive.
  child.unref();
  child.channel?.unref();
  const utility = new EventEmitter();
  utility.pid = child.pid;
  utility.stdout = child.stdout;
  utility.stderr = child.stderr;
  utility.serviceName = options.serviceName;
  utility.postMessage = (message) => child.connected && child.send(message);
  utility.kill = () => child.kill('SIGTERM');
  child.on('message', (message) => utility.emit('message', message));
  child.on('exit', (code, signal) => utility.emit('exit', code ?? constants.signals[signal] ?? -1));
  forks.push({ modulePath, args, options, pid: child.pid });
  // A test that runs the app in another process (kubectl's exec plugin) reads the forks here.
  if (process.env.KUBEJOIN_TEST_FORK_LOG)
    appendFileSync(process.env.KUBEJOIN_TEST_FORK_LOG, `${JSON.stringify({ modulePath, serviceName: options.serviceName, pid: child.pid })}\n`);
  return utility;
}

module.exports = { fork, forks };
