// err.code narrows to the class that carries it, on every subpath.
import { expectTypeOf } from 'expect-type';
import {
  type ErrorCode,
  isSpindleError,
  type PoolErrorCode,
  type SpindleError,
  TaskTimeoutError,
  type WorkerCrashedError,
} from 'spindle';
import type { ClusterErrorCode, ClusterWorkerNotReadyError } from 'spindle/cluster';
import { type ExecError, type ExecErrorCode, isSpindleError as isExecError } from 'spindle/exec';
import type { QueueErrorCode, QueueJobFailedError } from 'spindle/queue';
import type { SharedErrorCode, SharedTimeoutError } from 'spindle/shared';

declare const err: unknown;

if (isSpindleError(err)) {
  expectTypeOf(err.code).toEqualTypeOf<ErrorCode>();
  if (err.code === 'ERR_TASK_TIMEOUT') expectTypeOf(err).toEqualTypeOf<TaskTimeoutError>();
  if (err.code === 'ERR_WORKER_CRASHED') expectTypeOf(err.signal).toEqualTypeOf<NodeJS.Signals | null>();
  if (err.code === 'ERR_QUEUE_JOB_FAILED') expectTypeOf(err).toEqualTypeOf<QueueJobFailedError>();
  if (err.code === 'ERR_SHARED_TIMEOUT') expectTypeOf(err).toEqualTypeOf<SharedTimeoutError>();
  if (err.code === 'ERR_CLUSTER_WORKER_NOT_READY') expectTypeOf(err).toEqualTypeOf<ClusterWorkerNotReadyError>();
  // @ts-expect-error not a spindle code
  if (err.code === 'ERR_NOPE') void 0;
}
if (isSpindleError(err, 'ERR_WORKER_CRASHED')) expectTypeOf(err).toEqualTypeOf<WorkerCrashedError>();
if (isExecError(err, 'ERR_EXEC_TIMEOUT')) {
  expectTypeOf(err.exitCode).toEqualTypeOf<number | null>();
  expectTypeOf(err).toMatchTypeOf<ExecError>();
}
// @ts-expect-error not a spindle code
isSpindleError(err, 'ERR_NOPE');

expectTypeOf(new TaskTimeoutError('t', 1).name).toEqualTypeOf<'TaskTimeoutError'>();
expectTypeOf(new TaskTimeoutError('t', 1).code).toEqualTypeOf<'ERR_TASK_TIMEOUT'>();
expectTypeOf<TaskTimeoutError>().toMatchTypeOf<SpindleError>();
expectTypeOf<'ERR_POOL_CLOSED'>().toMatchTypeOf<PoolErrorCode>();
expectTypeOf<'ERR_POOL_RELOAD_FAILED'>().toMatchTypeOf<PoolErrorCode>();
if (isSpindleError(err, 'ERR_POOL_SCALE_FAILED')) expectTypeOf(err.wanted + err.workers).toEqualTypeOf<number>();
expectTypeOf<'ERR_EXEC_EXIT'>().toMatchTypeOf<ExecErrorCode>();
expectTypeOf<'ERR_CLUSTER_CLOSED'>().toMatchTypeOf<ClusterErrorCode>();
expectTypeOf<'ERR_CLUSTER_SCALE_FAILED'>().toMatchTypeOf<ClusterErrorCode>();
if (isSpindleError(err, 'ERR_CONTROL_NAME_IN_USE')) expectTypeOf(err.socket).toEqualTypeOf<string>();
if (isSpindleError(err, 'ERR_CONTROL_BAD_REQUEST')) expectTypeOf(err.reason).toMatchTypeOf<string>();
expectTypeOf<'ERR_SHARED_CHANNEL_CLOSED'>().toMatchTypeOf<SharedErrorCode>();
expectTypeOf<'ERR_QUEUE_CLOSED'>().toMatchTypeOf<QueueErrorCode>();
// @ts-expect-error a pool code is not a queue code
expectTypeOf<'ERR_POOL_QUEUE_FULL'>().toMatchTypeOf<QueueErrorCode>();
