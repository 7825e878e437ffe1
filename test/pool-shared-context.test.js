// Observability context on the shared-memory path (runtime/thread/ring.ts):
// tasks sent in a burst to a busy worker go through its task ring, and the
// context each carries (AsyncLocalStorage values of a contextHook, the
// caller's trace) goes with them, as it does by postMessage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessagePort } from 'node:worker_threads';
import { trace } from '@opentelemetry/api';
import { Pool } from '../dist/index.js';
import { exporter } from './fixtures/observe/otel-setup.js';
import { requestContext } from './fixtures/observe/request-id.js';
import { fixture, within } from './helpers.js';

const TASKS_AT = 12; // Kind.TasksAt of runtime/protocol.ts (a const enum: not in dist)

/** Counts the tasks that go to workers by TasksAt message ([TasksAt, seq, 4 fields per task, (metas)]). */
function countMessageTasks(t) {
  const counter = { tasks: 0 };
  const post = MessagePort.prototype.postMessage;
  MessagePort.prototype.postMessage = function (m, transfer) {
    if (Array.isArray(m) && m[0] === TASKS_AT) counter.tasks += Math.floor((m.length - 2) / 4);
    return post.call(this, m, transfer);
  };
  t.after(() => {
    MessagePort.prototype.postMessage = post;
  });
  return counter;
}

for (const shared of [true, false]) {
  test(`a burst to one worker carries each task's context through the ring [shared ${shared ? 'on' : 'off'}]`, async (t) => {
    const previous = process.env.SPINDLE_POOL_SHARED;
    process.env.SPINDLE_POOL_SHARED = shared ? '1' : '0';
    const pool = new Pool({
      worker: fixture('observe/tasks.js'),
      setup: fixture('observe/otel-setup.js'),
      maxWorkers: 1,
    });
    if (previous === undefined) delete process.env.SPINDLE_POOL_SHARED;
    else process.env.SPINDLE_POOL_SHARED = previous;
    t.after(() => pool.destroy());
    assert.equal(await pool.run('requestId'), null); // the worker is up
    const counter = countMessageTasks(t);
    // AsyncLocalStorage: 60 tasks submitted at once, two in three with a value
    const n = 60;
    const ids = Array.from({ length: n }, (_, i) => (i % 3 === 2 ? null : `req-${i}`));
    const out = await within(
      Promise.all(
        ids.map((id, i) => {
          const name = i % 2 === 0 ? 'requestId' : 'laterRequestId';
          return id === null ? pool.run(name) : requestContext.run({ requestId: id }, () => pool.run(name));
        }),
      ),
      20_000,
      'the ALS burst',
    );
    assert.deepEqual(out, ids);
    // the trace: 20 tasks in a caller span, each one's own span a child of its spindle.task span
    exporter.reset();
    const { results, caller } = await trace.getTracer('test').startActiveSpan('caller', async (span) => {
      try {
        const results = await within(
          Promise.all(Array.from({ length: 20 }, () => pool.run('traced'))),
          20_000,
          'the traced burst',
        );
        return { results, caller: span.spanContext() };
      } finally {
        span.end();
      }
    });
    const spans = new Set(
      exporter
        .getFinishedSpans()
        .filter((s) => s.name === 'spindle.task traced')
        .map((s) => {
          assert.equal(s.parentSpanContext?.spanId, caller.spanId);
          return s.spanContext().spanId;
        }),
    );
    assert.equal(spans.size, 20);
    for (const r of results) {
      assert.equal(r.traceId, caller.traceId);
      assert.ok(spans.has(r.parentSpanId), 'the task span is the parent of the span the task started');
    }
    const total = n + 20;
    if (shared)
      assert.ok(counter.tasks <= 2, `${counter.tasks} of ${total} tasks by message: the others took the ring`);
    else assert.equal(counter.tasks, 0, 'the shared path off sends Tasks messages, not TasksAt');
  });
}
