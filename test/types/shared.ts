// Type tests for spindle/shared: checked by `tsc -p test/types`, never run.
import { expectTypeOf } from 'expect-type';
import {
  Barrier,
  Channel,
  type ChannelOptions,
  type ChannelType,
  Condition,
  type Guard,
  isSpindleError,
  Latch,
  Mutex,
  reviveShared,
  type Semaphore,
  type SharedHandle,
  type SharedMalformedRecordError,
  type TryReceiveResult,
} from 'spindle/shared';

export async function guards(m: Mutex, s: Semaphore): Promise<void> {
  {
    using held = m.lockSync({ timeout: 10 });
    expectTypeOf(held).toEqualTypeOf<Guard>();
  }
  {
    await using held = await m.lock({ signal: AbortSignal.timeout(10) });
    expectTypeOf(held.released).toEqualTypeOf<boolean>();
  }
  {
    using maybe = m.tryLock(); // `using` accepts undefined
    expectTypeOf(maybe).toEqualTypeOf<Guard | undefined>();
  }
  {
    await using permit = await s.acquire();
    expectTypeOf(permit).toEqualTypeOf<Guard>();
  }
  expectTypeOf(m.withLock(() => 5)).toEqualTypeOf<Promise<number>>();
  expectTypeOf(m.withLock(async () => 'x')).toEqualTypeOf<Promise<string>>();
  expectTypeOf(m.withLockSync(() => 5)).toEqualTypeOf<number>();
  expectTypeOf(s.withPermit(async () => true)).toEqualTypeOf<Promise<boolean>>();
  // timeout is a duration: milliseconds or a string with a unit
  await m.lock({ timeout: '1s' });
  m.lockSync({ timeout: 250 });
  // @ts-expect-error not a duration
  await m.lock({ timeout: true });
  // @ts-expect-error unknown options are refused
  await m.lock({ timout: 5 });
}

export async function channels(value: unknown): Promise<void> {
  const ch = new Channel<{ id: number }>({ capacity: 8, maxRecordSize: 128 });
  await ch.send({ id: 1 });
  // @ts-expect-error the channel carries { id: number }
  await ch.send({ id: 'x' });
  expectTypeOf(await ch.receive()).toEqualTypeOf<{ id: number }>();
  expectTypeOf(ch.receiveSync()).toEqualTypeOf<{ id: number }>();
  expectTypeOf(ch.tryReceive()).toEqualTypeOf<TryReceiveResult<{ id: number }>>();
  const r = ch.tryReceive();
  if (r.ok) expectTypeOf(r.value).toEqualTypeOf<{ id: number }>();
  else expectTypeOf(r.closed).toEqualTypeOf<boolean>();
  for await (const v of ch) expectTypeOf(v).toEqualTypeOf<{ id: number }>();
  for (const v of ch.valuesSync()) expectTypeOf(v).toEqualTypeOf<{ id: number }>();
  expectTypeOf(Channel.from<string>(value)).toEqualTypeOf<Channel<string>>();
  expectTypeOf(Channel.from(value)).toEqualTypeOf<Channel<unknown>>();
  // Batches
  await ch.sendMany([{ id: 1 }, { id: 2 }], { timeout: '1s' });
  ch.sendManySync([{ id: 3 }]);
  // @ts-expect-error every value must be a { id: number }
  ch.sendManySync([{ id: 'x' }]);
  expectTypeOf(await ch.receiveMany(10)).toEqualTypeOf<{ id: number }[]>();
  expectTypeOf(ch.receiveManySync(10, { timeout: 5 })).toEqualTypeOf<{ id: number }[]>();
  // Typed channels
  const ints = new Channel<number>({ type: 'int32', capacity: 1024 });
  expectTypeOf(ints.type).toEqualTypeOf<ChannelType>();
  expectTypeOf<ChannelOptions['type']>().toEqualTypeOf<'any' | 'int32' | 'float64' | undefined>();
  // @ts-expect-error not a channel type
  new Channel({ type: 'int64' });
}

export function errors(err: unknown): void {
  if (isSpindleError(err, 'ERR_SHARED_CHANNEL_CLOSED')) expectTypeOf(err.sent).toEqualTypeOf<number | null>();
  if (isSpindleError(err, 'ERR_SHARED_TIMEOUT')) expectTypeOf(err.sent).toEqualTypeOf<number | null>();
  if (isSpindleError(err, 'ERR_SHARED_MALFORMED_RECORD')) {
    expectTypeOf(err).toEqualTypeOf<SharedMalformedRecordError>();
    expectTypeOf(err.received).toEqualTypeOf<unknown[]>();
  }
}

export function handles(value: unknown): void {
  expectTypeOf(Mutex.from(value)).toEqualTypeOf<Mutex>();
  expectTypeOf(Barrier.from(value).waitSync()).toEqualTypeOf<boolean>();
  expectTypeOf(Latch.from(value).count).toEqualTypeOf<number>();
  expectTypeOf(Condition.from(value)).toEqualTypeOf<Condition>();
  expectTypeOf(new Mutex()).toMatchTypeOf<SharedHandle<'Mutex'>>();
  expectTypeOf(new Mutex().__spindleShared).toEqualTypeOf<'Mutex'>();
  expectTypeOf(reviveShared(value)).toEqualTypeOf<unknown>();
  expectTypeOf(reviveShared({ a: 1 }, { deep: true })).toEqualTypeOf<{ a: number }>();
}
