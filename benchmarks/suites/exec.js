// spindle/exec vs raw child_process.spawn, execa 9, tinyexec and nano-spawn, in one run:
// per-call cost of a trivial command, of a 10 MB output, and the time to import each.
import { spawn as rawSpawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import nanoSpawn from 'nano-spawn';
import { run } from 'spindle/exec';
import { x } from 'tinyexec';
import { median, table, writeJson } from '../lib/report.js';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const TEN_MB = String(10 * 1024 * 1024);

/** The baseline: what a careful hand-written spawn does (collect both outputs, wait for close). */
function raw(file, args, options) {
  return new Promise((resolve, reject) => {
    const child = rawSpawn(file, args, options);
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });
}

const runners = {
  'raw spawn': (f, a) => raw(f, a),
  spindle: (f, a) => run(f, a),
  'execa 9': (f, a) => execa(f, a),
  tinyexec: (f, a) => x(f, a, { throwOnError: true }),
  'nano-spawn': (f, a) => nanoSpawn(f, a),
};

/** ms per call of `calls` sequential runs; rounds interleave the runners so they share conditions. */
async function perCall(file, args, calls, rounds, check) {
  const times = Object.fromEntries(Object.keys(runners).map((n) => [n, []]));
  for (const [name, fn] of Object.entries(runners)) check(await fn(file, args), name); // warm-up + sanity
  for (let r = 0; r < rounds; r++) {
    const names = Object.keys(runners);
    const order = names.slice(r % names.length).concat(names.slice(0, r % names.length));
    for (const name of order) {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) await runners[name](file, args);
      times[name].push((performance.now() - t0) / calls);
    }
  }
  return times;
}

/** Time to import a module in a fresh node process (ms), median of `rounds`. */
async function importTime(spec, rounds) {
  const code = `const t = performance.now(); await import(${JSON.stringify(spec)}); console.log(performance.now() - t);`;
  const out = [];
  for (let i = 0; i < rounds; i++) {
    const r = await raw(process.execPath, ['--input-type=module', '-e', code], { cwd: here });
    const ms = Number.parseFloat(r.stdout);
    if (r.code !== 0 || Number.isNaN(ms)) throw new Error(`importing ${spec} failed: ${r.stderr}`);
    out.push(ms);
  }
  return out;
}

function rows(times) {
  const base = median(times['raw spawn']);
  return Object.entries(times).map(([name, t]) => ({
    runner: name,
    'median ms/call': median(t),
    'vs raw': `${(median(t) / base).toFixed(2)}x`,
    min: Math.min(...t),
    max: Math.max(...t),
  }));
}

export async function run_(flags) {
  const quick = flags.includes('--quick');
  const rounds = quick ? 3 : 9;
  const trueTimes = await perCall('true', [], quick ? 50 : 200, rounds, (r, n) => {
    if ((r.exitCode ?? r.code ?? 0) !== 0) throw new Error(`${n} failed`);
  });
  const trueRows = rows(trueTimes);
  table(`run('true'): per-call time, ${rounds} rounds (median of rounds)`, trueRows);

  const bigTimes = await perCall('head', ['-c', TEN_MB, '/dev/zero'], quick ? 3 : 10, rounds, (r, n) => {
    if (r.stdout.length !== Number(TEN_MB)) throw new Error(`${n} returned ${r.stdout.length} chars`);
  });
  const bigRows = rows(bigTimes);
  table(`10 MB of stdout as a string: per-call time, ${rounds} rounds`, bigRows);

  const specs = {
    'node:child_process': 'node:child_process',
    'spindle/exec': 'spindle/exec',
    'execa 9': 'execa',
    tinyexec: 'tinyexec',
    'nano-spawn': 'nano-spawn',
  };
  const importTimes = {};
  for (const [name, spec] of Object.entries(specs)) importTimes[name] = await importTime(spec, quick ? 3 : 7);
  const importRows = Object.entries(importTimes).map(([name, t]) => ({ module: name, 'median import ms': median(t) }));
  table('import() time in a fresh process', importRows);

  writeJson('exec', {
    rounds,
    true: trueRows,
    tenMb: bigRows,
    import: importRows,
    raw: { trueTimes, bigTimes, importTimes },
  });
}
export { run_ as run };
