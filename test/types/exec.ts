// Type tests for spindle/exec: output types follow `encoding`, handles are awaitable.

import type { Writable } from 'node:stream';
import { Readable } from 'node:stream';
import { expectTypeOf } from 'expect-type';
import {
  $,
  type ExecError,
  type ExecErrorCode,
  type ExecLogEntry,
  type ExecProcess,
  type ExecResult,
  type ExecShellQuotingError,
  isSpindleError,
  type ReadableOptions,
  run,
  runSync,
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

  // lines: arrays; all: the interleaved output, optional
  const l = await run('ls', { lines: true });
  expectTypeOf(l.stdout).toEqualTypeOf<string[]>();
  expectTypeOf(l.all).toEqualTypeOf<string[] | undefined>();
  expectTypeOf((await run('ls', { all: true })).all).toEqualTypeOf<string | undefined>();
  expectTypeOf(spawn('ls', { lines: true })).toEqualTypeOf<ExecProcess<string[]>>();
  expectTypeOf($({ lines: true })`ls`).toEqualTypeOf<ExecProcess<string[]>>();
  expectTypeOf(p.lines({ from: 'all' })).toEqualTypeOf<AsyncIterableIterator<string>>();
  // @ts-expect-error 'both' is now 'all', one name with the `all` option
  p.lines({ from: 'both' });

  // preferLocal, verbose, files, node and ipc
  run('tsc', { preferLocal: true });
  run('tsc', { preferLocal: new URL('file:///repo/') });
  run('ls', { verbose: 'full' });
  run('ls', { verbose: true });
  run('ls', {
    verbose: (e: ExecLogEntry) => {
      if (e.type === 'output') expectTypeOf(e.line).toEqualTypeOf<string>();
      if (e.type === 'end') expectTypeOf(e.result.failed).toEqualTypeOf<boolean>();
    },
  });
  // @ts-expect-error not a verbose level
  run('ls', { verbose: 'none' });
  run('cat', { input: { file: 'in.txt' }, stdout: { file: new URL('file:///tmp/out'), append: true } });
  // @ts-expect-error a file goes in `input: { file }`
  run('cat', { stdin: { file: 'in.txt' } });
  run('script.js', { node: true, nodeOptions: ['--no-warnings'], nodePath: process.execPath });
  run(new URL('file:///script.js'), { node: true });
  const n = spawn('script.js', { node: true, ipc: true, serialization: 'json' });
  expectTypeOf(n.send({ any: 'value' })).toEqualTypeOf<Promise<void>>();
  expectTypeOf(n.messages()).toEqualTypeOf<AsyncIterableIterator<unknown>>();
  expectTypeOf(n.disconnect()).toEqualTypeOf<void>();
  expectTypeOf((await n).messages).toEqualTypeOf<unknown[] | undefined>();

  // runSync: the same result, blocking; no options that need the event loop
  expectTypeOf(runSync('ls')).toEqualTypeOf<ExecResult<string>>();
  expectTypeOf(runSync('ls', ['-l'], { encoding: 'buffer' })).toEqualTypeOf<ExecResult<Buffer>>();
  expectTypeOf(runSync('ls', { lines: true }).stdout).toEqualTypeOf<string[]>();
  expectTypeOf(runSync('cat', { input: 'text', timeout: '5s' })).toEqualTypeOf<ExecResult<string>>();
  expectTypeOf($.sync`ls`).toEqualTypeOf<ExecResult<string>>();
  expectTypeOf($({ encoding: 'buffer' }).sync`ls`).toEqualTypeOf<ExecResult<Buffer>>();
  // @ts-expect-error nothing can abort a call that blocks: use timeout
  runSync('ls', { signal: new AbortController().signal });
  // @ts-expect-error streams need the event loop
  runSync('cat', { input: Readable.from(['x']) });
  // @ts-expect-error messages need a handle
  runSync('script.js', { node: true, ipc: true });

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
