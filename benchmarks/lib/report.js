// Shared helpers for benchmark suites: timing, medians, tables, JSON output.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** Median of a list of numbers. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `fn` `rounds` times (after `warmup` unmeasured runs) and returns every measurement. */
export async function rounds(fn, { rounds = 5, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const out = [];
  for (let i = 0; i < rounds; i++) out.push(await fn());
  return out;
}

/** Formats a number with a sensible number of digits. */
export function fmt(n, digits = 3) {
  if (n === undefined || n === null || Number.isNaN(n)) return '-';
  if (typeof n !== 'number') return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(digits)).toString();
}

/** Prints rows (objects with the same keys) as a Markdown table. */
export function table(title, rows) {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]);
  const cells = rows.map((r) => cols.map((c) => (typeof r[c] === 'number' ? fmt(r[c]) : String(r[c] ?? '-'))));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals) => `| ${vals.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  const out = [
    `\n### ${title}\n`,
    line(cols),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.map(line),
  ];
  const text = out.join('\n');
  console.log(text);
  return text;
}

/** Writes a suite's results as JSON under benchmarks/results/. */
export function writeJson(name, data) {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ suite: name, node: process.version, date: new Date().toISOString(), ...data }, null, 2)}\n`,
  );
  console.log(`\nwrote ${file}`);
}

/**
 * Runs `caseFile <lib> <scenario> <rounds>` in a fresh node process per
 * library and pass, rotating the order each pass so libraries share the
 * machine's conditions; returns the median per library.
 */
export function collectCases(caseFile, libs, scenario, { passes, rounds, nodeArgs = [] }) {
  const values = Object.fromEntries(libs.map((l) => [l, []]));
  for (let p = 0; p < passes; p++) {
    const order = libs.slice(p % libs.length).concat(libs.slice(0, p % libs.length));
    for (const lib of order) {
      process.stderr.write(`  ${scenario} pass ${p + 1}/${passes}: ${lib}\n`);
      values[lib].push(...runCase(caseFile, lib, scenario, rounds, nodeArgs));
    }
  }
  return Object.fromEntries(libs.map((l) => [l, median(values[l])]));
}

/** One fresh-process measurement; the case prints a JSON array as its last line. */
export function runCase(caseFile, lib, scenario, rounds, nodeArgs = []) {
  const out = execFileSync(process.execPath, [...nodeArgs, caseFile, lib, scenario, String(rounds)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  return JSON.parse(out.trim().split('\n').pop());
}
