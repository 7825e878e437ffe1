// Context that crosses to where a task or job runs: OpenTelemetry's active
// span (when the optional peer @opentelemetry/api is in use) and the values
// of AsyncLocalStorage instances registered with `contextHook()`. Captured
// where work is submitted (`pool.run`, `queue.add`), carried as one small
// plain object with the task or job (`TaskMeta`), restored around the task
// on the worker (thread or process) or around the job on whichever node runs
// it. Nothing is captured, and nothing loaded, while no hook is registered
// and no OpenTelemetry API is in use in the process.
import type { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { invalid } from '../util/validate.js';

/** A value that crosses with a task: what JSON and structured clone both carry unchanged. */
export type ContextValue = string | number | boolean | null | ContextValue[] | { [key: string]: ContextValue };

/**
 * What travels with one pool task (the task message's one optional field)
 * and one job (stored with it). A plain object, never a class instance:
 *
 *   {
 *     traceparent?: string,   // W3C trace context: '00-<32 hex trace id>-<16 hex span id>-<2 hex flags>'
 *     tracestate?: string,    // W3C tracestate, when the span context has one
 *     als?: { [hookName: string]: ContextValue }, // contextHook() values, JSON-compatible
 *   }
 *
 * Absent (undefined, or null on the process wire) when there is nothing to carry.
 */
export interface TaskMeta {
  traceparent?: string;
  tracestate?: string;
  als?: Record<string, ContextValue>;
}

/** A registered AsyncLocalStorage: how its value is captured on submit and restored around the task. */
interface Hook {
  storage: AsyncLocalStorage<any>;
  capture: (store: any) => ContextValue | undefined;
  restore: (value: ContextValue) => unknown;
}

/** The part of @opentelemetry/api (1.x) spindle uses. */
interface SpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
  traceState?: { serialize(): string };
}
export interface OtelSpan {
  spanContext(): SpanContext;
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(time?: number): void;
}
interface OtelApi {
  ROOT_CONTEXT: unknown;
  context: { active(): unknown; with<T>(ctx: unknown, fn: () => T): T };
  trace: {
    getTracer(
      name: string,
      version?: string,
    ): {
      startSpan(
        name: string,
        options: { kind?: number; attributes?: Record<string, string | number> },
        ctx?: unknown,
      ): OtelSpan;
    };
    setSpanContext(ctx: unknown, sc: SpanContext): unknown;
    isSpanContextValid(sc: SpanContext): boolean;
    getSpanContext(ctx: unknown): SpanContext | undefined;
  };
  createTraceState?(raw: string): unknown;
}

interface State {
  hooks: Map<string, Hook>;
  /** undefined: not looked for yet; null: not available in this process */
  otel: OtelApi | null | undefined;
}

/** One state per process (every copy of spindle shares it, as hooks registered by one must be seen by all). */
const state: State = ((globalThis as Record<symbol, State | undefined>)[Symbol.for('spindle.context')] ??= {
  hooks: new Map(),
  otel: undefined,
});

/** Where @opentelemetry/api 1.x keeps its registered globals (tracer provider, context manager, propagator). */
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/**
 * The OpenTelemetry API, once something in this process registered a global
 * with it (a tracer provider, a context manager): loaded then, never before.
 */
function otel(): OtelApi | null | undefined {
  if (state.otel !== undefined) return state.otel;
  if ((globalThis as Record<symbol, unknown>)[OTEL_GLOBAL] === undefined) return undefined;
  try {
    state.otel = createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
  } catch {
    state.otel = null; // registered by a copy spindle cannot resolve: nothing to do
  }
  return state.otel;
}

/** True when submitting work should capture context (a hook registered, or OpenTelemetry in use). */
export function capturing(): boolean {
  return state.hooks.size > 0 || !!otel();
}

/**
 * Carries an AsyncLocalStorage's value across threads, processes and job
 * queues: captured when a task is submitted (`pool.run`) or a job added,
 * and restored (`storage.run(restored, task)`) around the task wherever it
 * runs. Register it under the same `name` on both sides, e.g. in a module
 * that the app and the task module both import. `capture` turns the store
 * into a JSON-compatible value (default: the store itself; undefined: carry
 * nothing), `restore` turns it back (default: the value itself).
 * Returns a function that unregisters it.
 */
export function contextHook<T>(options: {
  name: string;
  storage: AsyncLocalStorage<T>;
  capture?: (store: T) => ContextValue | undefined;
  restore?: (value: ContextValue) => T;
}): () => void {
  if (options === null || typeof options !== 'object')
    throw invalid('options', 'an object with `name` and `storage`', options);
  const { name, storage, capture, restore } = options;
  if (typeof name !== 'string' || name === '') throw invalid('name', 'a non-empty string', name);
  if (storage === null || typeof storage !== 'object' || typeof storage.run !== 'function')
    throw invalid('storage', 'an AsyncLocalStorage', storage);
  if (capture !== undefined && typeof capture !== 'function') throw invalid('capture', 'a function', capture);
  if (restore !== undefined && typeof restore !== 'function') throw invalid('restore', 'a function', restore);
  const hook: Hook = {
    storage,
    capture: capture ?? ((store: T) => store as ContextValue),
    restore: restore ?? ((value: ContextValue) => value),
  };
  state.hooks.set(name, hook);
  return () => {
    if (state.hooks.get(name) === hook) state.hooks.delete(name);
  };
}

function hex(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0');
}

/** The meta of the current context (hooks' values, and `span`'s or the active span's trace context), or undefined. */
export function captureMeta(span?: OtelSpan): TaskMeta | undefined {
  let meta: TaskMeta | undefined;
  for (const [name, hook] of state.hooks) {
    const store = hook.storage.getStore();
    if (store === undefined) continue;
    const value = hook.capture(store);
    if (value === undefined) continue;
    meta ??= {};
    (meta.als ??= {})[name] = value;
  }
  const api = otel();
  if (api) {
    const sc = span ? span.spanContext() : api.trace.getSpanContext(api.context.active());
    if (sc && api.trace.isSpanContextValid(sc)) {
      meta ??= {};
      meta.traceparent = `00-${sc.traceId}-${sc.spanId}-${hex(sc.traceFlags)}`;
      const ts = sc.traceState?.serialize();
      if (ts) meta.tracestate = ts;
    }
  }
  return meta;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Runs `fn` inside the context `meta` carries: each hook's value restored, and the remote span as the parent. */
export function runWithMeta<T>(meta: TaskMeta | null | undefined, fn: () => T): T {
  if (meta === null || meta === undefined || typeof meta !== 'object') return fn();
  let run = fn;
  if (meta.als) {
    for (const [name, value] of Object.entries(meta.als)) {
      const hook = state.hooks.get(name);
      if (!hook) continue; // not registered on this side: nothing to restore it into
      const inner = run;
      run = () => hook.storage.run(hook.restore(value), inner);
    }
  }
  const m = typeof meta.traceparent === 'string' ? TRACEPARENT.exec(meta.traceparent) : null;
  const api = m ? otel() : undefined;
  if (m && api) {
    const sc: SpanContext = { traceId: m[1]!, spanId: m[2]!, traceFlags: Number.parseInt(m[3]!, 16), isRemote: true };
    if (meta.tracestate && api.createTraceState)
      sc.traceState = api.createTraceState(meta.tracestate) as SpanContext['traceState'];
    const ctx = api.trace.setSpanContext(api.ROOT_CONTEXT, sc);
    const inner = run;
    run = () => api.context.with(ctx, inner);
  }
  return run();
}

/** OpenTelemetry span kinds (the API's enum values). */
const SpanKind = { INTERNAL: 0, CONSUMER: 4, PRODUCER: 3 } as const;

/**
 * Starts spindle's span for a task or job (`spindle.task NAME`, a child of
 * the active context) when OpenTelemetry is in use; undefined otherwise.
 */
export function startSpan(
  name: string,
  attributes: Record<string, string | number>,
  kind: keyof typeof SpanKind = 'INTERNAL',
): OtelSpan | undefined {
  const api = otel();
  if (!api) return undefined;
  return api.trace.getTracer('spindle').startSpan(name, { kind: SpanKind[kind], attributes }, api.context.active());
}

/** Ends a task's or job's span with its outcome. */
export function endSpan(
  span: OtelSpan,
  outcome: string,
  error: unknown,
  attributes: Record<string, number | string | undefined>,
): void {
  span.setAttribute('spindle.outcome', outcome);
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined) span.setAttribute(k, v);
  if (error !== undefined) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string') span.setAttribute('error.type', code);
    span.setStatus({ code: 2, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}
