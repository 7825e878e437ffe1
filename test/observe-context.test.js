// Context that crosses to where work runs: an AsyncLocalStorage value set
// around pool.run (and queue.add) is seen inside the task, and with the
// OpenTelemetry SDK a span started by the caller is the parent of spindle's
// task span, itself the parent of the span the task starts, on the thread
// runtime, the process runtime and for a job run by another process through Redis.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { trace } from '@opentelemetry/api';
import { Pool } from '../dist/index.js';
import { JobQueue } from '../dist/queue/index.js';
import { exporter } from './fixtures/observe/otel-setup.js';
import { requestContext } from './fixtures/observe/request-id.js';
import { startNode, startRedis, until } from './helpers/redis.js';
import { eachRuntime, fixture, within } from './helpers.js';

const tasks = fixture('observe/tasks.js');
const setup = fixture('observe/otel-setup.js');

function pool(t, runtime, extra = {}) {
  const p = new Pool({ worker: tasks, runtime, maxWorkers: 1, ...extra });
  t.after(() => p.destroy());
  return p;
}

eachRuntime('an AsyncLocalStorage value set around pool.run is seen inside the task', {}, async (t, runtime) => {
  const p = pool(t, runtime);
  const [a, b, none] = await Promise.all([
    requestContext.run({ requestId: 'req-a' }, () => p.run('laterRequestId')),
    requestContext.run({ requestId: 'req-b' }, () => p.run('requestId')),
    p.run('requestId'),
  ]);
  assert.deepEqual([a, b, none], ['req-a', 'req-b', null]);
});

test('an AsyncLocalStorage value set around queue.add is seen inside the job (memory store)', async (t) => {
  const p = pool(t, 'thread');
  const queue = new JobQueue({ name: 'als', pool: p });
  t.after(() => queue.destroy());
  const job = await requestContext.run({ requestId: 'job-7' }, () => queue.add('laterRequestId', []));
  assert.equal(await within(job.result(), 20_000, 'job'), 'job-7');
});

/** Runs `fn` inside a caller span; resolves its result and the caller span's context. */
function inCallerSpan(fn) {
  return trace.getTracer('test').startActiveSpan('caller', async (span) => {
    try {
      return { result: await fn(), caller: span.spanContext() };
    } finally {
      span.end();
    }
  });
}

eachRuntime(
  'the caller span is the parent of spindle.task, the parent of the task’s own span',
  {},
  async (t, runtime) => {
    exporter.reset();
    const p = pool(t, runtime, { setup, name: 'traced-pool' });
    const { result, caller } = await inCallerSpan(() => p.run('traced'));
    const spindleSpan = exporter.getFinishedSpans().find((s) => s.name === 'spindle.task traced');
    assert.ok(spindleSpan, 'spindle created its task span');
    assert.equal(spindleSpan.spanContext().traceId, caller.traceId);
    assert.equal(spindleSpan.parentSpanContext?.spanId, caller.spanId);
    assert.equal(spindleSpan.attributes['spindle.pool'], 'traced-pool');
    assert.equal(spindleSpan.attributes['spindle.outcome'], 'completed');
    assert.equal(typeof spindleSpan.attributes['spindle.run_ms'], 'number');
    assert.equal(spindleSpan.attributes['spindle.worker.id'], 1);
    // the span the task started on the worker (recorded by the worker's own provider)
    assert.equal(result.traceId, caller.traceId);
    assert.equal(result.parentSpanId, spindleSpan.spanContext().spanId);
    // a failing task's span carries its error
    await inCallerSpan(() => p.run('fail').catch(() => {}));
    const failed = exporter.getFinishedSpans().find((s) => s.name === 'spindle.task fail');
    assert.equal(failed.attributes['spindle.outcome'], 'failed');
    assert.equal(failed.status.code, 2);
  },
);

test('a job run by another process through Redis continues the trace of the add() call', {
  timeout: 90_000,
}, async (t) => {
  const redis = await startRedis(t);
  const node = await startNode(t, fileURLToPath(fixture('observe/otel-node.mjs')), [redis.url, 'traced']);
  const queue = new JobQueue({ name: 'traced', store: { redis: redis.url } });
  redis.cleanup(() => queue.close());
  const { result, caller } = await inCallerSpan(async () => {
    const job = await queue.add('traced', []);
    return within(job.result(), 30_000, 'the traced job');
  });
  assert.equal(result.traceId, caller.traceId);
  // the node's spindle.task span: a child of the caller's span, the parent of the task's
  const spans = () =>
    node
      .output()
      .split('\n')
      .filter((l) => l.startsWith('span '))
      .map((l) => JSON.parse(l.slice(5)));
  await until(
    node.child.stdout,
    'data',
    () => spans().some((s) => s.name === 'spindle.task traced'),
    20_000,
    'the node’s span',
  );
  const task = spans().find((s) => s.name === 'spindle.task traced');
  assert.equal(task.traceId, caller.traceId);
  assert.equal(task.parentSpanId, caller.spanId);
  assert.equal(result.parentSpanId, task.spanId);
  node.child.kill('SIGTERM');
});
