// Cluster workers must not outlive their supervisor, even when it is
// SIGKILLed. An idle worker notices on its own: Node's cluster runtime exits a
// worker whose IPC channel closes unexpectedly. A busy one (a loop, a long
// synchronous job) never runs that handler and would go on forever. So while
// workers run, the primary keeps one small sidecar: a `/bin/sh` loop (about
// 1 MB; a `node` one where there is no shell) that reads "+ pid grace" and
// "- pid" lines on its stdin. The pipe's write end is only in the primary
// (libuv opens it close-on-exec, so workers do not inherit it): when the
// primary dies, however, the sidecar reads EOF, sends SIGTERM to the workers
// still listed, and SIGKILL to those left after their killGrace; it also
// removes the primary's private socket directory (see app/hold.ts). A primary
// that ends normally has delisted every worker first, and closes the pipe
// only when the list is empty; then the sidecar just exits.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const SH = `trap '' INT TERM HUP
pids=' '
grace=0
DIR=''
while read -r op arg; do
  case $op in
    +) pids="$pids\${arg% *} "; ms=\${arg#* }; [ "$ms" -gt "$grace" ] 2>/dev/null && grace=$ms ;;
    -) rest=' '; for p in $pids; do [ "$p" = "$arg" ] || rest="$rest$p "; done; pids=$rest ;;
    d) DIR=$arg ;;
  esac
done
set -- $pids
[ $# -eq 0 ] && exit 0
kill -TERM "$@" 2>/dev/null
alive="$*"
waited=0
while [ $waited -lt $grace ]; do
  alive=''
  for p in "$@"; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
  [ -z "$alive" ] && break
  set -- $alive
  sleep 0.1
  waited=$((waited + 100))
done
[ -n "$alive" ] && kill -KILL "$@" 2>/dev/null
[ -n "$DIR" ] && rm -rf -- "$DIR"
exit 0
`;

const JS = `const pids = new Set(); let grace = 0; let buf = ''; let dir = '';
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
process.stdin.setEncoding('utf8').on('data', (d) => {
  const lines = (buf + d).split('\\n'); buf = lines.pop();
  for (const l of lines) { const [op, pid, ms] = l.split(' ');
    if (op === '+') { pids.add(Number(pid)); grace = Math.max(grace, Number(ms) || 0); } else if (op === '-') pids.delete(Number(pid));
    else if (op === 'd') dir = l.slice(2); }
}).on('end', () => {
  if (pids.size === 0) process.exit(0);
  const kill = (s) => { for (const p of pids) { try { process.kill(p, s); } catch { pids.delete(p); } } };
  kill('SIGTERM');
  const t0 = Date.now();
  const tick = () => { kill(0); if (pids.size > 0 && Date.now() - t0 < grace) return setTimeout(tick, 100); kill('SIGKILL');
    if (dir) require('node:fs').rmSync(dir, { recursive: true, force: true }); process.exit(0); };
  tick();
});`;

/** Most respawns of a sidecar that keeps dying (someone kills it): then we give up rather than spin. */
const MAX_RESPAWNS = 5;

const guarded = new Map<number, number>();
let sidecar: ChildProcess | undefined;
let respawns = 0;
let directory: string | undefined;

function line(text: string): void {
  sidecar?.stdin?.write(`${text}\n`);
}

function start(): void {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const options: SpawnOptions = { stdio: ['pipe', 'ignore', 'ignore'], env, windowsHide: true };
  const child: ChildProcess = existsSync('/bin/sh')
    ? spawn('/bin/sh', ['-c', SH], options)
    : spawn(process.execPath, ['-e', JS], options);
  sidecar = child;
  child.on('error', () => {});
  child.stdin?.on('error', () => {});
  child.once('exit', () => {
    if (sidecar !== child) return;
    sidecar = undefined;
    // Killed from outside while workers run: start another and hand it the list.
    if (guarded.size > 0 && respawns++ < MAX_RESPAWNS) start();
  });
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  if (directory) line(`d ${directory}`);
  for (const [pid, grace] of guarded) line(`+ ${pid} ${grace}`);
}

/**
 * Records the private directory the sidecar removes if the primary dies
 * (it is removed at a normal exit by the primary itself).
 */
export function watchdogDirectory(path: string): void {
  if (directory) return;
  directory = path;
  line(`d ${path}`);
}

/** Puts a worker under the watchdog: it dies (SIGTERM, SIGKILL after `killGrace`) if this process dies. */
export function guard(pid: number, killGrace: number): void {
  if (process.platform === 'win32' || pid <= 0) return;
  guarded.set(pid, killGrace);
  if (sidecar) line(`+ ${pid} ${killGrace}`);
  else start();
}

/** A worker exited: take it off the list; with no worker left the sidecar exits. */
export function release(pid: number): void {
  if (!guarded.delete(pid)) return;
  line(`- ${pid}`);
  if (guarded.size === 0 && sidecar) {
    const child = sidecar;
    sidecar = undefined;
    child.stdin?.end();
  }
}

/** The sidecar's pid while one runs (for tests and the control plane). */
export function watchdogPid(): number | undefined {
  return sidecar?.pid;
}
