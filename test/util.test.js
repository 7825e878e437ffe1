import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { availableCpus, InvalidOptionError } from 'spindle';

function fakeCgroup(files) {
  const root = mkdtempSync(join(tmpdir(), 'spindle-cg-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

test('availableCpus honours a cgroup v2 quota', () => {
  const root = fakeCgroup({ 'cpu.max': '50000 100000\n' });
  assert.equal(availableCpus(root), 1);
  const big = fakeCgroup({ 'cpu.max': '6400000 100000\n' });
  assert.equal(availableCpus(big), availableParallelism());
  const fractional = fakeCgroup({ 'cpu.max': '150000 100000\n' });
  assert.equal(availableCpus(fractional), Math.min(2, availableParallelism()));
});

test('availableCpus ignores an unlimited quota (v2 "max", v1 -1)', () => {
  assert.equal(availableCpus(fakeCgroup({ 'cpu.max': 'max 100000' })), availableParallelism());
  const v1 = fakeCgroup({ 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' });
  assert.equal(availableCpus(v1), availableParallelism());
});

test('availableCpus reads a cgroup v1 quota', () => {
  const v1 = fakeCgroup({ 'cpu,cpuacct/cpu.cfs_quota_us': '100000', 'cpu,cpuacct/cpu.cfs_period_us': '100000' });
  assert.equal(availableCpus(v1), 1);
});

test('InvalidOptionError carries its code and option', () => {
  const e = new InvalidOptionError('maxWorkers', 'x');
  assert.equal(e.code, 'ERR_INVALID_OPTION');
  assert.equal(e.option, 'maxWorkers');
  assert.equal(e.name, 'InvalidOptionError');
  assert.ok(e instanceof Error);
});
