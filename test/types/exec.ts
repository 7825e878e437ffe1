// Type tests for spindle/exec: output types follow `encoding`, handles are awaitable.

import type { Readable, Writable } from 'node:stream';
import { expectTypeOf } from 'expect-type';
import {
  $,
  type ExecError,
  type ExecErrorCode,
  type ExecProcess,
  type ExecResult,
  type ExecShellQuotingError,
  isSpindleError,
  type ReadableOptions,
  run,
  spawn,
} from 'spindle/exec';

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

  // Taking a stream is a call (getters have no side effects): readable() and writable().
  expectTypeOf(p.readable()).toEqualTypeOf<Readable>();
  expectTypeOf(p.readable({ from: 'stderr' })).toEqualTypeOf<Readable>();
  expectTypeOf<ReadableOptions['from']>().toEqualTypeOf<'stdout' | 'stderr' | undefined>();
  expectTypeOf(p.writable()).toEqualTypeOf<Writable>();
  // @ts-expect-error the stream getters are gone: use p.readable()
  p.stdout;
  // @ts-expect-error use p.writable()
  p.stdin;
  // @ts-expect-error 'all' is for lines(); a stream is one output
  p.readable({ from: 'all' });
  // @ts-expect-error not a signal name
  p.kill('SIGNOPE');

  expectTypeOf($`ls ${'-l'}`).toEqualTypeOf<ExecProcess<string>>();
  expectTypeOf($({ shell: true })`ls ${'-l'}`).toEqualTypeOf<ExecProcess<string>>();
  expectTypeOf($({ encoding: 'buffer' })`ls`).toEqualTypeOf<ExecProcess<Buffer>>();

  // @ts-expect-error args must be strings
  run('echo', [1]);
  // @ts-expect-error unknown encoding
  run('echo', { encoding: 'utf9' });
  // @ts-expect-error unknown option (refused at run time too)
  run('echo', { timout: 5 });
  run('echo', {
    timeout: '30s',
    killGrace: 2000,
    cwd: new URL('file:///tmp/'),
    env: { A: undefined },
    extendEnv: false,
  });

  // The shell-quoting error is a coded spindle error, not a failed run: no run details.
  const e: unknown = null;
  if (isSpindleError(e, 'ERR_EXEC_SHELL_QUOTING')) {
    expectTypeOf(e).toEqualTypeOf<ExecShellQuotingError>();
    expectTypeOf(e.shell).toEqualTypeOf<string>();
    expectTypeOf(e.index).toEqualTypeOf<number>();
  }
  expectTypeOf<'ERR_EXEC_SHELL_QUOTING'>().toMatchTypeOf<ExecErrorCode>();
  // A result's error is a failed run: never the quoting error.
  expectTypeOf<NonNullable<ExecResult['error']>['code']>().toEqualTypeOf<
    Exclude<ExecErrorCode, 'ERR_EXEC_SHELL_QUOTING'>
  >();
}
void types;
