import type { Readable, Writable } from 'node:stream';

/**
 * Copies a worker's piped output to `out`, prefixing each line (cluster and
 * process-pool workers). Only used when a prefix is asked for; otherwise
 * workers inherit the primary's stdout and their writes never pass through it.
 */
export function prefixLines(from: Readable, out: Writable, prefix: string): void {
  let rest = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    if (lines.length > 0) out.write(`${prefix}${lines.join(`\n${prefix}`)}\n`);
  });
  from.on('end', () => {
    if (rest) out.write(`${prefix}${rest}\n`);
    rest = '';
  });
}
