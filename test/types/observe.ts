// Type tests for spindle/observe: the admin listener's route interface (the
// dashboard builds on it), metrics, context hooks and the pool's `name`.
import { AsyncLocalStorage } from 'node:async_hooks';
import { expectTypeOf } from 'expect-type';
import { Pool } from 'spindle';
import {
  type AdminListenError,
  type AdminRoute,
  type AdminServer,
  type AdminTarget,
  contextHook,
  isSpindleError,
  type MetricFamily,
  metricsJSON,
  metricsText,
  type ObserveErrorCode,
  type RouteAuth,
  registerMetrics,
  serveAdmin,
  type TaskMeta,
} from 'spindle/observe';

async function types() {
  const pool = new Pool({ worker: './tasks.js', name: 'images' });
  expectTypeOf(pool.options.name).toEqualTypeOf<string>();
  expectTypeOf(await metricsText(pool)).toEqualTypeOf<string>();
  expectTypeOf(await metricsJSON()).toEqualTypeOf<MetricFamily[]>();
  expectTypeOf<RouteAuth>().toEqualTypeOf<'none' | 'read' | 'action'>();
  const route: AdminRoute = {
    method: 'GET',
    path: '/',
    auth: 'none',
    handle(_req, res, ctx) {
      expectTypeOf(ctx.authenticated).toEqualTypeOf<boolean>();
      expectTypeOf(ctx.target).toEqualTypeOf<AdminTarget>();
      res.end(String(ctx.status().pid));
    },
  };
  const target: AdminTarget = {
    kind: 'work',
    status: () => ({
      name: null,
      kind: 'work',
      pid: 1,
      state: 'running',
      startedAt: 0,
      uptime: 0,
      ready: 1,
      wanted: 1,
      restarts: 0,
    }),
    metrics: async () => '',
  };
  expectTypeOf(serveAdmin(target, { port: 0, routes: [route] })).toEqualTypeOf<Promise<AdminServer>>();
  // @ts-expect-error: a route must say what it needs
  const bad: AdminRoute = { method: 'GET', path: '/', handle() {} };
  void bad;
  const storage = new AsyncLocalStorage<{ requestId: string }>();
  const off = contextHook({
    name: 'request',
    storage,
    capture: (s) => ({ requestId: s.requestId }),
    restore: (v) => ({ requestId: (v as { requestId: string }).requestId }),
  });
  expectTypeOf(off).toEqualTypeOf<() => void>();
  expectTypeOf<TaskMeta['traceparent']>().toEqualTypeOf<string | undefined>();
  expectTypeOf(registerMetrics).parameter(0).toHaveProperty('registerMetric');
  const err: unknown = new Error();
  if (isSpindleError(err, 'ERR_ADMIN_LISTEN')) expectTypeOf(err).toEqualTypeOf<AdminListenError>();
  expectTypeOf<ObserveErrorCode>().toEqualTypeOf<'ERR_ADMIN_LISTEN'>();
}
void types;
