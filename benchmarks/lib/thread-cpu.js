// CPU time of this process's main thread (Linux), in ms: robust to a busy machine.
import { readFileSync } from 'node:fs';

export function mainThreadCpuMs() {
  try {
    const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, clock ticks of 10 ms
  } catch {
    return Number.NaN;
  }
}
