import assert from 'node:assert/strict';
import { test } from 'node:test';
import { $, ExecProcess, run, sh } from 'spindle/exec';

const T = { timeout: 20_000 };

test('each interpolated value is exactly one argument, never shell-parsed', T, async () => {
  const evil = '$(touch /tmp/spindle-pwned) `x` ; rm -rf / "q" \'s\' *';
  const r = await $`printf %s| ${evil} ${'a b'} ${''}`;
  assert.equal(r.stdout, `${evil}|a b||`);
});

test('text around a value joins it into one word; whitespace splits words', T, async () => {
  const name = 'x y';
  const r = await $`printf %s|  --out=${name}.txt\n\t${1}${2} ${true}`;
  assert.equal(r.stdout, '--out=x y.txt|12|true|');
});

test('an array gives one argument per element', T, async () => {
  const files = ['a b', 'c'];
  assert.equal((await $`printf %s| ${files} end`).stdout, 'a b|c|end|');
  assert.throws(
    () => $`echo x${files}`,
    (e) => e.code === 'ERR_INVALID_OPTION',
  );
  assert.throws(
    () => $`echo ${files}x`,
    (e) => e.code === 'ERR_INVALID_OPTION',
  );
});

test('a result interpolates as its stdout (one argument, trailing newline dropped)', T, async () => {
  const inner = await run('printf', ['two words\n']);
  assert.equal((await $`printf [%s] ${inner}`).stdout, '[two words]');
});

test('objects and undefined are refused instead of becoming "[object Object]"', T, () => {
  assert.throws(
    () => $`echo ${{}}`,
    (e) => e.code === 'ERR_INVALID_OPTION',
  );
  assert.throws(
    () => $`echo ${undefined}`,
    (e) => e.code === 'ERR_INVALID_OPTION',
  );
  assert.throws(
    () => $` `,
    (e) => e.code === 'ERR_INVALID_OPTION',
  );
});

test('$(options) binds options; sh is the same function; the result is a spawn handle', T, async () => {
  assert.equal(sh, $);
  const p = $({ env: { GREETING: 'hi' } })`sh -c ${'echo $GREETING'}`;
  assert.ok(p instanceof ExecProcess);
  assert.equal((await p).stdout, 'hi');
  const b = await $({ encoding: 'buffer' })`printf A`;
  assert.ok(Buffer.isBuffer(b.stdout));
  const lines = [];
  for await (const l of $`printf ${'1\n2\n'}`.lines()) lines.push(l);
  assert.deepEqual(lines, ['1', '2']);
  assert.equal((await $`printf x`.pipe($`tr x y`)).stdout, 'y');
});
