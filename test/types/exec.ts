// Type tests for spindle/exec: output types follow `encoding`, handles are awaitable.
import { expectTypeOf } from 'expect-type';
import { $, type ExecError, type ExecProcess, type ExecResult, run, spawn } from 'spindle/exec';

async function types() {
  const r = await run('echo', ['x']);
  expectTypeOf(r).toEqualTypeOf<ExecResult<string>>();
  expectTypeOf(r.stdout).toEqualTypeOf<string>();
  expectTypeOf(r.exitCode).toEqualTypeOf<number | null>();
  expectTypeOf(r.error).toEqualTypeOf<ExecError | undefined>();

  const b = await run('cat', { encoding: 'buffer' });
  expectTypeOf(b.stdout).toEqualTypeOf<Buffer>();
  const b2 = await run('cat', [], { encoding: 'buffer', timeout: 10 });
  expectTypeOf(b2.stderr).toEqualTypeOf<Buffer>();

  const p = spawn('cat');
  expectTypeOf(p).toEqualTypeOf<ExecProcess<string>>();
  expectTypeOf(await p).toEqualTypeOf<ExecResult<string>>();
  expectTypeOf(p.lines()).toEqualTypeOf<AsyncIterableIterator<string>>();
  expectTypeOf(p.write('x')).toEqualTypeOf<Promise<void>>();
  expectTypeOf(p.end()).toEqualTypeOf<ExecProcess<string>>();
  expectTypeOf(p.pid).toEqualTypeOf<number | undefined>();
  expectTypeOf(spawn('gzip', { encoding: 'buffer' })).toEqualTypeOf<ExecProcess<Buffer>>();
  expectTypeOf(p.pipe(spawn('gzip', { encoding: 'buffer' }))).toEqualTypeOf<ExecProcess<Buffer>>();

  expectTypeOf($`ls ${'-l'}`).toEqualTypeOf<ExecProcess<string>>();
  expectTypeOf($({ encoding: 'buffer' })`ls`).toEqualTypeOf<ExecProcess<Buffer>>();

  // @ts-expect-error args must be strings
  run('echo', [1]);
  // @ts-expect-error unknown encoding
  run('echo', { encoding: 'utf9' });
}
void types;
