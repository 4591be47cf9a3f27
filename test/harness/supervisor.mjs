// The supervisor owns the control-plane processes of ONE cluster (etcd, kube-apiserver,
// kube-controller-manager) so that nothing outlives the test that started them:
//   - the parent talks to it with JSON lines on stdin/stdout;
//   - when stdin closes (the parent exited, even by SIGKILL) it stops every child and,
//     with --remove-dir, deletes the state dir; after {"op":"detach"} it keeps running
//     (the `cluster up` case) until SIGTERM/SIGINT/SIGHUP or {"op":"shutdown"};
//   - children get PR_SET_PDEATHSIG=SIGKILL through setpriv(1) when available, so even a
//     SIGKILLed supervisor leaves no component behind.
// Plain JavaScript with no dependencies: it starts in a few milliseconds with bare node.
//
// Usage: node supervisor.mjs --state-dir DIR [--remove-dir]
// Requests:  {"id":1,"op":"spawn","name":"etcd","cmd":"/x/etcd","args":[...],"log":"/x.log"}
//            {"id":2,"op":"kill","name":"etcd"}   {"id":3,"op":"detach"}   {"op":"shutdown"}
// Replies:   {"id":1,"ok":true,"pid":123} | {"id":1,"ok":false,"error":"..."}
// Events:    {"op":"ready","pid":N}  {"op":"exit","name":"etcd","code":1,"signal":null}
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const argv = process.argv.slice(2);
const stateDir = argv[argv.indexOf('--state-dir') + 1];
const removeDir = argv.includes('--remove-dir');
if (!argv.includes('--state-dir') || !stateDir) {
  process.stderr.write('usage: supervisor.mjs --state-dir DIR [--remove-dir]\n');
  process.exit(2);
}
const pidsFile = join(stateDir, 'pids.json');
const GRACE_MS = 5000;

/** @type {Map<string, import('node:child_process').ChildProcess>} */
const children = new Map();
let detached = false;
let stopping = false;
let canWrite = true;

const log = (msg) => process.stderr.write(`${new Date().toISOString()} supervisor ${process.pid}: ${msg}\n`);

process.stdout.on('error', () => {
  canWrite = false;
});
function send(msg) {
  if (!canWrite || detached) return;
  try {
    process.stdout.write(`${JSON.stringify(msg)}\n`);
  } catch {
    canWrite = false;
  }
}

const usePdeathsig = process.platform === 'linux' && spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true'], { stdio: 'ignore' }).status === 0;

const alive = (c) => c.exitCode === null && c.signalCode === null;

function writePids() {
  const pids = {};
  for (const [name, c] of children) if (alive(c)) pids[name] = { pid: c.pid, cmd: c.spawnargs.at(usePdeathsig ? 4 : 0) };
  try {
    writeFileSync(pidsFile, `${JSON.stringify({ supervisor: process.pid, children: pids })}\n`);
  } catch (err) {
    log(`cannot write ${pidsFile}: ${err.message}`);
  }
}

function spawnChild(req) {
  const old = children.get(req.name);
  if (old && alive(old)) throw new Error(`${req.name} is already running (pid ${old.pid})`);
  const fd = openSync(req.log, 'a');
  try {
    const [cmd, args] = usePdeathsig ? ['setpriv', ['--pdeathsig', 'KILL', '--', req.cmd, ...req.args]] : [req.cmd, req.args];
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], cwd: stateDir, env: { ...process.env, ...req.env } });
    return new Promise((resolve, reject) => {
      child.once('error', (err) => reject(err));
      child.once('spawn', () => {
        children.set(req.name, child);
        child.once('exit', (code, signal) => {
          log(`${req.name} (pid ${child.pid}) exited: code ${code} signal ${signal}`);
          writePids();
          send({ op: 'exit', name: req.name, code, signal });
        });
        writePids();
        log(`started ${req.name} (pid ${child.pid})`);
        resolve(child.pid);
      });
    });
  } finally {
    closeSync(fd);
  }
}

function waitExit(list, ms) {
  return Promise.race([Promise.all(list.filter(alive).map((c) => new Promise((r) => c.once('exit', r)))), new Promise((r) => setTimeout(r, ms))]);
}

async function killChild(name) {
  const c = children.get(name);
  if (!c || !alive(c)) return;
  c.kill('SIGKILL');
  await waitExit([c], GRACE_MS);
}

async function stopAll(list) {
  for (const c of list) c.kill('SIGTERM');
  await waitExit(list, GRACE_MS);
  for (const c of list) if (alive(c)) c.kill('SIGKILL');
  await waitExit(list, 2000);
}

async function teardown(reason) {
  if (stopping) return;
  stopping = true;
  const t0 = Date.now();
  log(`stopping (${reason})`);
  // etcd last: it waits for its clients' streams (the apiserver's watches) before it exits.
  const all = [...children.entries()].filter(([, c]) => alive(c));
  await stopAll(all.filter(([name]) => name !== 'etcd').map(([, c]) => c));
  await stopAll(all.filter(([name]) => name === 'etcd').map(([, c]) => c));
  log(`stopped in ${Date.now() - t0} ms`);
  try {
    if (removeDir) rmSync(stateDir, { recursive: true, force: true });
    else for (const f of [pidsFile, join(stateDir, 'cluster.json')]) if (existsSync(f)) rmSync(f, { force: true });
  } catch (err) {
    log(`cleanup failed: ${err.message}`);
  }
  process.exit(0);
}

async function handle(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    log(`bad request: ${line.slice(0, 200)}`);
    return;
  }
  const reply = (body) => send({ id: req.id, ...body });
  try {
    switch (req.op) {
      case 'spawn':
        reply({ ok: true, pid: await spawnChild(req) });
        break;
      case 'kill':
        await killChild(req.name);
        reply({ ok: true });
        break;
      case 'detach':
        reply({ ok: true });
        detached = true;
        log('detached: running until SIGTERM');
        break;
      case 'shutdown':
        await teardown('shutdown requested');
        break;
      default:
        reply({ ok: false, error: `unknown op ${req.op}` });
    }
  } catch (err) {
    reply({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => void teardown(sig));
process.stdin.on('error', () => {});
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => void handle(line));
rl.on('close', () => {
  if (!detached) void teardown('parent gone (stdin closed)');
});
log(`ready (state dir ${stateDir}${removeDir ? ', removed on exit' : ''}${usePdeathsig ? ', pdeathsig' : ''})`);
send({ op: 'ready', pid: process.pid });
