// Small helpers the suites that start real processes share: flags, a free
// loopback port, and a process's RSS and CPU time from /proc.
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** The number given as `--name=N` in `flags`, or `fallback`. */
export function flag(flags, name, fallback) {
  const f = flags.find((x) => x.startsWith(`--${name}=`));
  return f ? Number(f.split('=')[1]) : fallback;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Resident memory of `pid` in bytes, from /proc (NaN if unreadable). */
export function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** CPU seconds (user + system) of a process, from /proc (clock ticks at 100 Hz). */
export function cpuOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
