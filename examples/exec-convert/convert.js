// Compresses files with the system's gzip and checks each result with sha256sum,
// reporting progress as it goes. Every program runs through spindle/exec: no shell,
// a timeout on each step, and nothing left running if we are interrupted.
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { availableCpus } from 'spindle';
import { run, spawn } from 'spindle/exec';

/** A pass-through stream that reports how far through `total` bytes it is, in whole percent. */
function progress(total, onPercent) {
  let seen = 0;
  let last = -1;
  return new Transform({
    transform(chunk, _enc, cb) {
      seen += chunk.length;
      const pct = total === 0 ? 100 : Math.floor((seen / total) * 100);
      if (pct !== last) onPercent((last = pct));
      cb(null, chunk);
    },
    flush(cb) {
      if (last !== 100) onPercent(100);
      cb();
    },
  });
}

/** sha256 of what a program writes: `producer | sha256sum`. */
async function sha256Of(producer, timeout) {
  const r = await producer.pipe(spawn('sha256sum', { timeout }));
  return r.stdout.split(' ')[0];
}

/** gzip one file into `outDir`, then prove the archive round-trips to the same sha256. */
export async function convertFile(file, { outDir, timeout = 60_000, signal, onEvent = () => {} }) {
  const { size } = await stat(file);
  const out = join(outDir, `${basename(file)}.gz`);
  const source = createReadStream(file);
  const input = source.pipe(progress(size, (percent) => onEvent({ event: 'progress', file, percent })));
  source.once('error', (e) => input.destroy(e)); // .pipe() does not forward errors; run() reports them
  // stdin is our counting stream, stdout goes straight to the .gz file.
  await run('gzip', ['-c', '-9', '-n'], { input, stdout: createWriteStream(out), timeout, signal });
  const [original, roundTrip] = await Promise.all([
    sha256Of(spawn('cat', ['--', file], { signal }), timeout),
    sha256Of(spawn('gzip', ['-dc', '--', out], { signal }), timeout),
  ]);
  if (original !== roundTrip) throw new Error(`${out} does not decompress to ${file}`);
  const { size: packed } = await stat(out);
  const done = { event: 'done', file, out, sha256: original, bytes: size, packed };
  onEvent(done);
  return done;
}

/** Converts many files, as many at once as there are CPUs; failures are reported per file. */
export async function convertAll(files, options) {
  const queue = [...files];
  const results = [];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      try {
        results.push(await convertFile(file, options));
      } catch (error) {
        const event = { event: 'error', file, code: error.code, message: error.message.split('\n')[0] };
        options.onEvent?.(event);
        results.push(event);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableCpus(), files.length) }, worker));
  return results;
}
