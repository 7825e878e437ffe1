import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { spawn } from 'spindle/exec';

const cli = fileURLToPath(new URL('../examples/exec-convert/index.js', import.meta.url));

test('exec-convert gzips files, verifies them and streams progress lines', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-convert-'));
  const big = join(dir, 'big.txt');
  const small = join(dir, 'small.txt');
  const missing = join(dir, 'missing.txt');
  writeFileSync(big, 'spindle line ✓\n'.repeat(300_000)); // ~4.8 MB: many progress steps
  writeFileSync(small, 'tiny');
  const out = join(dir, 'out');

  const p = spawn(process.execPath, [cli, '--out', out, big, small, missing, dir], { reject: false });
  const events = [];
  for await (const line of p.lines()) events.push(JSON.parse(line));
  const r = await p;
  assert.equal(r.exitCode, 1, 'a missing file makes the run fail');

  const percents = events.filter((e) => e.event === 'progress' && e.file === big).map((e) => e.percent);
  assert.ok(percents.length > 10, `progress was streamed (${percents.length} steps)`);
  assert.deepEqual(
    percents,
    [...percents].sort((a, b) => a - b),
  );
  assert.equal(percents.at(-1), 100);

  for (const file of [big, small]) {
    const done = events.find((e) => e.event === 'done' && e.file === file);
    assert.ok(done, `done event for ${file}`);
    const original = readFileSync(file);
    assert.deepEqual(gunzipSync(readFileSync(done.out)), original);
    assert.equal(done.sha256, createHash('sha256').update(original).digest('hex'));
  }
  const failed = events.filter((e) => e.event === 'error');
  assert.deepEqual(failed.map((e) => [e.file, e.code]).sort(), [
    [dir, 'ERR_EXEC_STREAM'], // reading a directory fails mid-stream: gzip is killed, coded error
    [missing, 'ENOENT'],
  ]);
});
